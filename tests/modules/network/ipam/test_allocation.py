"""Handing out addresses: next free, requested, reserved, released, and the rules about which
addresses are never handed out."""

from __future__ import annotations

import random
import uuid
from itertools import pairwise

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.ipam import (
    allocation,
    free_space,
    pools,
    prefixes,
    schemas,
    utilization,
)
from dotmac_isp.modules.network.ipam.addressing import decode_slot, encode_slot
from dotmac_isp.modules.network.ipam.enums import AllocationStatus, HolderType, PrefixStatus
from dotmac_isp.modules.network.ipam.errors import (
    AddressConflictError,
    AddressNotAssignableError,
    AddressOutsidePoolError,
    PoolExhaustedError,
    PoolNotActiveError,
    PrefixInUseError,
)
from dotmac_isp.modules.network.ipam.models import Allocation, Pool
from dotmac_isp.shared.errors import NotFound, ValidationFailed
from tests.modules.network.ipam.factories import make_pool, take


def _drain(session: Session, pool: Pool) -> list[str]:
    taken = []
    while True:
        try:
            taken.append(take(session, pool).address)
        except PoolExhaustedError:
            return taken


def _count(session: Session, pool: Pool) -> int:
    return session.scalar(select(func.count()).select_from(Allocation)
                          .where(Allocation.pool_id == pool.id)) or 0


def test_ipv4_pool_skips_network_and_broadcast(session: Session, tenant: Tenant) -> None:
    pool = make_pool(session, tenant, "192.0.2.0/29")
    assert _drain(session, pool) == [f"192.0.2.{i}" for i in range(1, 7)]
    with pytest.raises(PoolExhaustedError, match=r"pool '.*' \(192.0.2.0/29\) has no free"):
        take(session, pool)
    assert pool.allocated_count == _count(session, pool) == 6


@pytest.mark.parametrize(("network", "expected"), [
    ("192.0.2.10/31", ["192.0.2.10", "192.0.2.11"]),
    ("192.0.2.9/32", ["192.0.2.9"]),
    ("2001:db8::a/127", ["2001:db8::a", "2001:db8::b"]),
    ("2001:db8::5/128", ["2001:db8::5"]),
])
def test_point_to_point_and_host_prefixes_use_every_address(
        session: Session, tenant: Tenant, network: str, expected: list[str]) -> None:
    assert _drain(session, make_pool(session, tenant, network)) == expected


def test_fully_usable_pools_hand_out_network_and_broadcast_too(
        session: Session, tenant: Tenant) -> None:
    pool = make_pool(session, tenant, "192.0.2.0/30", fully_usable=True)
    assert _drain(session, pool) == ["192.0.2.0", "192.0.2.1", "192.0.2.2", "192.0.2.3"]
    v6 = make_pool(session, tenant, "2001:db8::/126", fully_usable=True)
    assert _drain(session, v6) == ["2001:db8::", "2001:db8::1", "2001:db8::2", "2001:db8::3"]


def test_ipv6_pool_skips_subnet_router_anycast_but_has_no_broadcast(
        session: Session, tenant: Tenant) -> None:
    pool = make_pool(session, tenant, "2001:db8:1::/125")
    assert _drain(session, pool) == [f"2001:db8:1::{i}" for i in range(1, 8)]
    with pytest.raises(AddressNotAssignableError, match="subnet-router anycast"):
        take(session, make_pool(session, tenant, "2001:db8:2::/64"), "2001:db8:2::")


def test_a_whole_ipv6_64_works_to_its_last_address(session: Session, tenant: Tenant) -> None:
    pool = make_pool(session, tenant, "2001:db8:64::/64")
    last = take(session, pool, "2001:db8:64:0:ffff:ffff:ffff:ffff")
    assert last.cidr == "2001:db8:64:0:ffff:ffff:ffff:ffff/128"
    assert take(session, pool).address == "2001:db8:64::1"
    with pytest.raises(AddressConflictError):
        take(session, pool, "2001:db8:64::ffff:ffff:ffff:ffff")


def test_requested_addresses_are_checked(session: Session, tenant: Tenant) -> None:
    pool = make_pool(session, tenant, "198.51.100.0/24", name="static")
    holder = uuid.uuid4()
    got = take(session, pool, "198.51.100.77", holder_id=holder)
    assert (got.address, got.holder_type, got.holder_id) == ("198.51.100.77", "subscription",
                                                             holder)
    with pytest.raises(AddressConflictError,
                       match=f"198.51.100.77/32 is already allocated to subscription {holder}"):
        take(session, pool, "198.51.100.77")
    with pytest.raises(AddressOutsidePoolError, match=r"10.0.0.1 is outside pool 'static'"):
        take(session, pool, "10.0.0.1")
    with pytest.raises(AddressOutsidePoolError, match="outside pool"):
        take(session, pool, "2001:db8::1")
    with pytest.raises(AddressNotAssignableError, match="the network address of"):
        take(session, pool, "198.51.100.0")
    with pytest.raises(AddressNotAssignableError, match="the broadcast address of"):
        take(session, pool, "198.51.100.255")
    # a requested address does not disturb next-free: the lowest free one still comes first
    assert take(session, pool).address == "198.51.100.1"
    assert pool.allocated_count == _count(session, pool) == 2


def test_gateway_is_reserved_and_never_handed_out(session: Session, tenant: Tenant) -> None:
    pool = make_pool(session, tenant, "203.0.113.0/29", gateway="203.0.113.1")
    gateway = session.scalars(select(Allocation).where(Allocation.pool_id == pool.id)).one()
    assert (gateway.address, gateway.status, gateway.description) == ("203.0.113.1", "reserved",
                                                                     "gateway")
    assert _drain(session, pool) == [f"203.0.113.{i}" for i in range(2, 7)]
    with pytest.raises(AddressOutsidePoolError):
        make_pool(session, tenant, "203.0.113.8/29", gateway="203.0.113.1")


def test_changing_the_gateway_moves_the_reservation(session: Session, tenant: Tenant) -> None:
    pool = make_pool(session, tenant, "203.0.113.0/29", gateway="203.0.113.1")
    pools.update_pool(session, tenant.id, pool.id, schemas.PoolUpdate(gateway="203.0.113.6"))
    assert take(session, pool).address == "203.0.113.1"
    pools.update_pool(session, tenant.id, pool.id, schemas.PoolUpdate(gateway=""))
    assert pool.gateway is None and pool.allocated_count == 1


def test_release_makes_the_address_the_next_one_handed_out(
        session: Session, tenant: Tenant) -> None:
    pool = make_pool(session, tenant, "192.0.2.0/28")
    taken = [take(session, pool) for _ in range(5)]
    allocation.release(session, tenant.id, taken[2].id)
    allocation.release(session, tenant.id, taken[1].id)
    assert pool.allocated_count == _count(session, pool) == 3
    assert [take(session, pool).address for _ in range(3)] == ["192.0.2.2", "192.0.2.3",
                                                                "192.0.2.6"]


def test_reserved_addresses_are_kept_out_of_next_free(session: Session, tenant: Tenant) -> None:
    pool = make_pool(session, tenant, "192.0.2.0/29")
    reserved = take(session, pool, "192.0.2.1", status=AllocationStatus.RESERVED,
                    description="printer")
    assert reserved.status == "reserved"
    assert take(session, pool).address == "192.0.2.2"
    updated = allocation.update_allocation(session, tenant.id, reserved.id,
                                           schemas.AllocationUpdate(status="allocated"))
    assert updated.status == "allocated"


def test_holders_other_than_other_need_an_id(session: Session, tenant: Tenant) -> None:
    pool = make_pool(session, tenant, "192.0.2.0/29")
    with pytest.raises(ValidationFailed, match="holder_id is required"):
        allocation.allocate(session, tenant.id, pool.id,
                            holder_type=HolderType.DEVICE_INTERFACE)
    assert _count(session, pool) == 0


def test_inactive_pools_hand_out_nothing_new(session: Session, tenant: Tenant) -> None:
    pool = make_pool(session, tenant, "192.0.2.0/29", name="old")
    prefixes.update_prefix(session, tenant.id, pool.prefix_id,
                           schemas.PrefixUpdate(status=PrefixStatus.DEPRECATED))
    with pytest.raises(PoolNotActiveError, match=r"'old' .* is deprecated"):
        take(session, pool)
    # reservations (a gateway, a promise) are still possible
    assert take(session, pool, status=AllocationStatus.RESERVED).address == "192.0.2.1"


def test_turning_off_fully_usable_needs_the_edge_addresses_free(
        session: Session, tenant: Tenant) -> None:
    pool = make_pool(session, tenant, "192.0.2.0/30", fully_usable=True)
    edge = take(session, pool)
    assert edge.address == "192.0.2.0"
    with pytest.raises(AddressConflictError, match=r"network address .* is in use"):
        pools.update_pool(session, tenant.id, pool.id, schemas.PoolUpdate(fully_usable=False))
    allocation.release(session, tenant.id, edge.id)
    pools.update_pool(session, tenant.id, pool.id, schemas.PoolUpdate(fully_usable=False))
    assert _drain(session, pool) == ["192.0.2.1", "192.0.2.2"]


def test_pools_of_one_tenant_are_invisible_to_another(
        session: Session, tenant: Tenant, other_tenant: Tenant) -> None:
    pool = make_pool(session, tenant, "192.0.2.0/29")
    with pytest.raises(NotFound):
        allocation.allocate(session, other_tenant.id, pool.id)
    assert _count(session, pool) == 0


def test_a_pool_with_allocations_cannot_be_deleted(session: Session, tenant: Tenant) -> None:
    pool = make_pool(session, tenant, "192.0.2.0/29", gateway="192.0.2.1")
    got = take(session, pool)
    with pytest.raises(PrefixInUseError, match="still has 1 allocation"):
        pools.delete_pool(session, tenant.id, pool.id)
    allocation.release(session, tenant.id, got.id)
    pools.delete_pool(session, tenant.id, pool.id)  # the gateway reservation goes with it
    assert session.get(Pool, pool.id) is None


@pytest.mark.parametrize(("network", "gateway"), [("10.10.0.0/26", "10.10.0.1"),
                                                  ("2001:db8:ff::/122", "2001:db8:ff::3f")])
def test_free_ranges_always_complement_the_allocations(session: Session, tenant: Tenant,
                                                       network: str, gateway: str) -> None:
    """A seeded random mix of next-free, requested and released addresses: after every step
    the pool's free ranges are exactly the usable slots nobody holds."""
    rng = random.Random(7)
    pool = make_pool(session, tenant, network, gateway=gateway)
    layout = utilization.layout_of(pool)
    usable = {encode_slot(i) for i in range(layout.first_index, layout.last_index + 1)}
    held: dict[int, Allocation] = {a.slot: a for a in session.scalars(
        select(Allocation).where(Allocation.pool_id == pool.id))}
    for _ in range(250):
        roll = rng.random()
        if roll < 0.45 and len(held) < len(usable):
            got = take(session, pool)
            assert got.slot == min(usable - set(held))  # always the lowest free
            held[got.slot] = got
        elif roll < 0.7:
            wanted = rng.choice(sorted(usable))
            if wanted in held:
                with pytest.raises(AddressConflictError):
                    take(session, pool, str(layout.slot_network(decode_slot(wanted))
                                            .network_address))
            else:
                held[wanted] = take(session, pool, str(layout.slot_network(
                    decode_slot(wanted)).network_address))
        elif held:
            gone = held.pop(rng.choice(sorted(held)))
            allocation.release(session, tenant.id, gone.id)
        spans = free_space.spans(session, pool)
        free = {s for span in spans for s in range(span.start, span.end + 1)}
        assert free == usable - set(held)
        assert all(a.end < b.start - 1 for a, b in pairwise(spans))  # merged
        assert pool.allocated_count == len(held)
    expected = free_space.spans(session, pool)
    free_space.rebuild(session, pool, layout)
    assert free_space.spans(session, pool) == expected
