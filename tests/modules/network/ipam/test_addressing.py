"""The arithmetic under IPAM: keys that sort like addresses, pool slots, the usable range."""

from __future__ import annotations

import ipaddress

import pytest

from dotmac_isp.modules.network.ipam.addressing import (
    PoolLayout,
    address_from_key,
    address_key,
    check_pool_layout,
    decode_slot,
    encode_slot,
    network_keys,
    parse_address,
    parse_network,
    supernet_start_keys,
)
from dotmac_isp.modules.network.ipam.enums import PoolKind
from dotmac_isp.sdks.core.exceptions import InvalidPrefixError

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def test_keys_sort_like_addresses_across_both_families() -> None:
    addresses = ["10.0.0.2", "9.255.255.255", "10.0.0.10", "255.255.255.255", "::1",
                 "2001:db8::", "::ffff:10.0.0.1", "ffff::"]
    parsed = [ipaddress.ip_address(a) for a in addresses]
    by_key = sorted(parsed, key=address_key)
    assert by_key == sorted(parsed, key=lambda a: (a.version, int(a)))
    assert all(address_from_key(address_key(a)) == a for a in parsed)
    # the same integer in two families never collides
    assert address_key(ipaddress.ip_address("0.0.0.1")) != address_key(
        ipaddress.ip_address("::1"))


def test_network_keys_bracket_every_address_inside() -> None:
    net = ipaddress.ip_network("2001:db8:100::/40")
    start, end = network_keys(net)
    assert start <= address_key(ipaddress.ip_address("2001:db8:1ff:ffff::1")) <= end
    assert not start <= address_key(ipaddress.ip_address("2001:db8:200::")) <= end
    supernets = supernet_start_keys(ipaddress.ip_network("10.1.2.3/32"))
    for container in ("0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3/32"):
        assert network_keys(ipaddress.ip_network(container))[0] in supernets
    assert network_keys(ipaddress.ip_network("10.1.3.0/24"))[0] not in supernets


def test_slots_of_a_whole_ipv6_64_fit_a_signed_64_bit_column() -> None:
    layout = PoolLayout(ipaddress.ip_network("2001:db8::/64"), PoolKind.ADDRESS)
    assert encode_slot(0) == INT64_MIN
    assert encode_slot(layout.last_index) == INT64_MAX
    assert decode_slot(encode_slot(12345)) == 12345


@pytest.mark.parametrize(("network", "fully_usable", "first", "last", "capacity"), [
    ("192.0.2.0/24", False, 1, 254, 254),  # network and broadcast held back
    ("192.0.2.0/24", True, 0, 255, 256),
    ("192.0.2.0/30", False, 1, 2, 2),
    ("192.0.2.0/31", False, 0, 1, 2),  # point-to-point links use both (RFC 3021)
    ("192.0.2.7/32", False, 0, 0, 1),
    ("2001:db8::/120", False, 1, 255, 255),  # subnet-router anycast held back, no broadcast
    ("2001:db8::/120", True, 0, 255, 256),
    ("2001:db8::/127", False, 0, 1, 2),  # RFC 6164
    ("2001:db8::1/128", False, 0, 0, 1),
])
def test_usable_range(network: str, fully_usable: bool, first: int, last: int,
                      capacity: int) -> None:
    layout = PoolLayout(ipaddress.ip_network(network), PoolKind.ADDRESS, fully_usable)
    assert (layout.first_index, layout.last_index, layout.capacity) == (first, last, capacity)


def test_delegation_slots_are_prefixes() -> None:
    layout = PoolLayout(ipaddress.ip_network("2001:db8::/48"), PoolKind.DELEGATION,
                        delegated_length=56)
    assert layout.capacity == 256 and layout.first_index == 0
    assert str(layout.slot_network(1)) == "2001:db8:0:100::/56"
    assert layout.index_of_network(ipaddress.ip_network("2001:db8:0:ff00::/56")) == 255


@pytest.mark.parametrize(("text", "message"), [
    ("10.0.0.1/24", "host bits set; the prefix is 10.0.0.0/24"),
    ("2001:db8::1/64", "host bits set; the prefix is 2001:db8::/64"),
    ("10.0.0.0/33", "not a valid IPv4 or IPv6 prefix"),
    ("banana", "has no prefix length"),
    ("10.0.0.0", "has no prefix length"),
    ("10.0.0.0/ 8", "not a valid prefix"),
    ("fe80::%eth0/64", "not a valid prefix"),
])
def test_bad_prefixes_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(InvalidPrefixError, match=message):
        parse_network(text)


def test_bad_addresses_are_refused() -> None:
    with pytest.raises(InvalidPrefixError, match="not a valid IPv4 or IPv6 address"):
        parse_address("10.0.0.256")
    assert str(parse_address(" 2001:DB8::1 ")) == "2001:db8::1"


@pytest.mark.parametrize(("network", "kind", "length", "message"), [
    ("10.0.0.0/16", PoolKind.DELEGATION, 24, "must be IPv6"),
    ("2001:db8::/48", PoolKind.DELEGATION, None, "needs delegated_length"),
    ("2001:db8::/48", PoolKind.DELEGATION, 40, "between /48 and /64"),
    ("2001:db8::/56", PoolKind.DELEGATION, 56, "must be longer than"),
    ("2001:db8::/48", PoolKind.ADDRESS, None, "at most a /64"),
    ("10.0.0.0/24", PoolKind.ADDRESS, 32, "delegation pools only"),
])
def test_unsupported_pool_shapes(network: str, kind: PoolKind, length: int | None,
                                 message: str) -> None:
    layout = PoolLayout(ipaddress.ip_network(network), kind, delegated_length=length)
    with pytest.raises(InvalidPrefixError, match=message):
        check_pool_layout(layout)
