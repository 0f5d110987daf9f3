"""IP arithmetic on top of the standard library's ipaddress, and the stored encodings.

Two encodings make the database do the searching:
- a key: the family digit and the address as 32 hex digits ("4" + "0000...0a000001"), so
  string order is address order for both families and containment is a range query;
- a slot: an address's (or delegated prefix's) index inside its pool, biased by -2**63 so
  that every index of a /64 fits a signed 64-bit column. Finding the next free address is
  then an indexed search for the first missing slot.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from dotmac_isp.modules.network.ipam.enums import PoolKind
from dotmac_isp.sdks.core.exceptions import InvalidPrefixError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

BITS = {4: 32, 6: 128}
SLOT_BIAS = 2**63
MAX_POOL_SLOTS = 2**64  # a /64 of addresses, or 2**64 delegated prefixes at most
MIN_DELEGATED_LENGTH = 48
MAX_DELEGATED_LENGTH = 64


def _clean(text: str, what: str) -> str:
    value = text.strip()
    if not value or len(value) > 64 or "%" in value or any(c.isspace() for c in value):
        raise InvalidPrefixError(f"{text!r} is not a valid {what}")
    return value


def parse_network(text: str) -> IPNetwork:
    """A prefix written as address/length with no host bits set, IPv4 or IPv6."""
    value = _clean(text, "prefix")
    if "/" not in value:
        raise InvalidPrefixError(
            f"{value!r} has no prefix length; write it as address/length, e.g. 10.0.0.0/24")
    try:
        return ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        try:
            loose = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise InvalidPrefixError(f"{value!r} is not a valid IPv4 or IPv6 prefix") from exc
        raise InvalidPrefixError(
            f"{value} has host bits set; the prefix is {loose}") from exc


def parse_address(text: str) -> IPAddress:
    """A single IPv4 or IPv6 address."""
    value = _clean(text, "IP address")
    try:
        return ipaddress.ip_address(value)
    except ValueError as exc:
        raise InvalidPrefixError(f"{value!r} is not a valid IPv4 or IPv6 address") from exc


def key_of(family: int, value: int) -> str:
    return f"{family}{value:032x}"


def address_key(address: IPAddress) -> str:
    return key_of(address.version, int(address))


def network_keys(network: IPNetwork) -> tuple[str, str]:
    return (key_of(network.version, int(network.network_address)),
            key_of(network.version, int(network.broadcast_address)))


def supernet_start_keys(network: IPNetwork) -> set[str]:
    """The start keys of every prefix that could contain the network (itself included).

    A range containing X starts at X with some host bits cleared, so "what contains X" is an
    IN over at most 129 keys on the start_key index instead of a range scan.
    """
    return {network_keys(network.supernet(new_prefix=length))[0]
            for length in range(network.prefixlen + 1)}


def as_network(address: IPAddress) -> IPNetwork:
    return ipaddress.ip_network(address)


def address_from_key(key: str) -> IPAddress:
    family, value = int(key[0]), int(key[1:], 16)
    return ipaddress.IPv4Address(value) if family == 4 else ipaddress.IPv6Address(value)


def encode_slot(index: int) -> int:
    return index - SLOT_BIAS


def decode_slot(slot: int) -> int:
    return slot + SLOT_BIAS


@dataclass(frozen=True)
class PoolLayout:
    """What a pool hands out: the slot range allowed by the rules, and what a slot is."""

    network: IPNetwork
    kind: PoolKind
    fully_usable: bool = False
    delegated_length: int | None = None

    @property
    def family(self) -> int:
        return self.network.version

    @property
    def slot_length(self) -> int:
        """The prefix length of what one slot hands out (32/128 for single addresses)."""
        if self.kind is PoolKind.DELEGATION:
            assert self.delegated_length is not None
            return self.delegated_length
        return self.network.max_prefixlen

    @property
    def slot_count(self) -> int:
        return 1 << (self.slot_length - self.network.prefixlen)

    @property
    def all_usable(self) -> bool:
        """True when no address is held back: /31, /32, /127, /128, pools marked fully usable,
        and delegation pools (whose slots are prefixes, not hosts)."""
        if self.kind is PoolKind.DELEGATION or self.fully_usable:
            return True
        return self.network.prefixlen >= self.network.max_prefixlen - 1

    @property
    def first_index(self) -> int:
        # IPv4 network address and IPv6 subnet-router anycast are both index 0.
        return 0 if self.all_usable else 1

    @property
    def last_index(self) -> int:
        # IPv4 broadcast is the last index; IPv6 has no broadcast.
        if self.all_usable or self.family == 6:
            return self.slot_count - 1
        return self.slot_count - 2

    @property
    def capacity(self) -> int:
        return self.last_index - self.first_index + 1

    def index_of_address(self, address: IPAddress) -> int:
        return int(address) - int(self.network.network_address)

    def describe_excluded(self, index: int) -> str | None:
        """Why an in-range index may not be handed out, or None when it may."""
        if self.first_index <= index <= self.last_index:
            return None
        if index == 0 and self.family == 4:
            return f"the network address of {self.network}"
        if index == 0:
            return f"the subnet-router anycast address of {self.network}"
        return f"the broadcast address of {self.network}"

    def slot_network(self, index: int) -> IPNetwork:
        """The address (as a /32 or /128) or the delegated prefix at an index."""
        size = 1 << (self.network.max_prefixlen - self.slot_length)
        start = int(self.network.network_address) + index * size
        return ipaddress.ip_network((start, self.slot_length))

    def index_of_network(self, network: IPNetwork) -> int:
        size = 1 << (self.network.max_prefixlen - self.slot_length)
        return (int(network.network_address) - int(self.network.network_address)) // size


def check_pool_layout(layout: PoolLayout) -> None:
    """Refuse pool shapes the slot encoding or the protocols do not support."""
    network = layout.network
    if layout.kind is PoolKind.DELEGATION:
        length = layout.delegated_length
        if network.version != 6:
            raise InvalidPrefixError("prefix delegation pools must be IPv6")
        if length is None:
            raise InvalidPrefixError("a delegation pool needs delegated_length (e.g. 56, 60, 64)")
        if not MIN_DELEGATED_LENGTH <= length <= MAX_DELEGATED_LENGTH:
            raise InvalidPrefixError(
                f"delegated_length must be between /{MIN_DELEGATED_LENGTH} and "
                f"/{MAX_DELEGATED_LENGTH}")
        if length <= network.prefixlen:
            raise InvalidPrefixError(
                f"delegated_length /{length} must be longer than the pool's block {network}")
        if layout.fully_usable:
            raise InvalidPrefixError("fully_usable applies to address pools only")
    else:
        if layout.delegated_length is not None:
            raise InvalidPrefixError("delegated_length applies to delegation pools only")
        if network.version == 6 and network.prefixlen < 64:
            raise InvalidPrefixError(
                f"an IPv6 address pool can be at most a /64 ({network} is larger); "
                "hand out larger blocks with a delegation pool")
    if layout.slot_count > MAX_POOL_SLOTS:
        raise InvalidPrefixError(f"{network} is too large for one pool")
