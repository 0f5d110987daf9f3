"""The fixed vocabularies of IPAM."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class PrefixRole(StrEnum):
    SUBSCRIBER_POOL = "subscriber_pool"
    INFRASTRUCTURE = "infrastructure"
    MANAGEMENT = "management"
    POINT_TO_POINT = "point_to_point"
    LOOPBACK = "loopback"


class PrefixStatus(StrEnum):
    ACTIVE = "active"
    RESERVED = "reserved"
    DEPRECATED = "deprecated"


class PoolKind(StrEnum):
    ADDRESS = "address"  # hands out single addresses (IPv4 or IPv6)
    DELEGATION = "delegation"  # hands out IPv6 prefixes (DHCPv6-PD)


class AllocationStatus(StrEnum):
    ALLOCATED = "allocated"  # in use by its holder
    RESERVED = "reserved"  # set aside (a gateway, a static address promised to someone)
    HELD = "held"  # the holder has gone; kept out of use until the hold expires


class HolderType(StrEnum):
    SUBSCRIPTION = "subscription"
    DEVICE_INTERFACE = "device_interface"
    OTHER = "other"


class AlertSubject(StrEnum):
    POOL = "pool"
    PREFIX = "prefix"


class IPFamily(IntEnum):
    IPV4 = 4
    IPV6 = 6
