"""Enumerations of the devices module."""

from __future__ import annotations

from enum import StrEnum


class DeviceType(StrEnum):
    ROUTER = "router"
    SWITCH = "switch"
    OLT = "olt"
    ONU = "onu"
    ACCESS_POINT = "access_point"
    CPE = "cpe"
    SERVER = "server"
    OTHER = "other"


# Devices that sit at a subscriber's premises and may be tied to one subscription.
SUBSCRIBER_DEVICE_TYPES = frozenset({DeviceType.CPE, DeviceType.ONU})


class DeviceStatus(StrEnum):
    """Lifecycle of a device in the inventory (set by people)."""

    PLANNED = "planned"
    ACTIVE = "active"
    MAINTENANCE = "maintenance"
    RETIRED = "retired"


class Reachability(StrEnum):
    """What the poller last concluded about a device."""

    UNKNOWN = "unknown"
    UP = "up"
    DEGRADED = "degraded"
    DOWN = "down"


class SnmpVersion(StrEnum):
    V2C = "v2c"
    V3 = "v3"


class SnmpAuthProtocol(StrEnum):
    NONE = "none"
    MD5 = "md5"
    SHA = "sha"
    SHA224 = "sha224"
    SHA256 = "sha256"
    SHA384 = "sha384"
    SHA512 = "sha512"


class SnmpPrivProtocol(StrEnum):
    NONE = "none"
    DES = "des"
    AES = "aes"
    AES192 = "aes192"
    AES256 = "aes256"


class IfStatus(StrEnum):
    """ifAdminStatus / ifOperStatus (IF-MIB), by name."""

    UP = "up"
    DOWN = "down"
    TESTING = "testing"
    UNKNOWN = "unknown"
    DORMANT = "dormant"
    NOT_PRESENT = "not_present"
    LOWER_LAYER_DOWN = "lower_layer_down"

    @classmethod
    def from_snmp(cls, value: int | None) -> IfStatus:
        return _IF_STATUS.get(value or 0, cls.UNKNOWN)


_IF_STATUS = {1: IfStatus.UP, 2: IfStatus.DOWN, 3: IfStatus.TESTING, 4: IfStatus.UNKNOWN,
              5: IfStatus.DORMANT, 6: IfStatus.NOT_PRESENT, 7: IfStatus.LOWER_LAYER_DOWN}
