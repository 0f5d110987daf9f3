"""IPv6 prefix delegation: /56, /60 or /64 prefixes handed out of a larger block."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.orm import Session

from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.ipam import allocation, history, service
from dotmac_isp.modules.network.ipam.enums import PoolKind
from dotmac_isp.modules.network.ipam.errors import (
    AddressConflictError,
    AddressOutsidePoolError,
    InvalidPrefixError,
    PoolExhaustedError,
)
from dotmac_isp.modules.network.ipam.models import Allocation, Pool
from dotmac_isp.shared.pagination import PageParams
from tests.modules.network.ipam.factories import make_pool, take


def _pd_pool(session: Session, tenant: Tenant, block: str, length: int,
             name: str = "pd") -> Pool:
    return make_pool(session, tenant, block, name=name, kind=PoolKind.DELEGATION,
                     delegated_length=length)


@pytest.mark.parametrize(("block", "length", "first", "second"), [
    ("2001:db8:1000::/48", 56, "2001:db8:1000::/56", "2001:db8:1000:100::/56"),
    ("2001:db8:2000::/48", 60, "2001:db8:2000::/60", "2001:db8:2000:10::/60"),
    ("2001:db8:3000::/56", 64, "2001:db8:3000::/64", "2001:db8:3000:1::/64"),
])
def test_delegated_prefixes_come_out_in_order(session: Session, tenant: Tenant, block: str,
                                              length: int, first: str, second: str) -> None:
    pool = _pd_pool(session, tenant, block, length)
    got = [take(session, pool, holder_id=uuid.uuid4()) for _ in range(2)]
    assert [g.cidr for g in got] == [first, second]  # the block's first prefix is usable too
    assert all(g.prefix_length == length and g.family == 6 for g in got)


def test_a_delegation_pool_runs_out(session: Session, tenant: Tenant) -> None:
    pool = _pd_pool(session, tenant, "2001:db8:4000::/60", 64, "small")
    got = [take(session, pool).cidr for _ in range(16)]
    assert got[-1] == "2001:db8:4000:f::/64"
    with pytest.raises(PoolExhaustedError, match=r"'small' .* has no free prefix left"):
        take(session, pool)
    allocation.release(session, tenant.id,
                       next(a for a in pool_allocations(session, tenant, pool)
                            if a.cidr == "2001:db8:4000:7::/64").id)
    assert take(session, pool).cidr == "2001:db8:4000:7::/64"


def pool_allocations(session: Session, tenant: Tenant, pool: Pool) -> list[Allocation]:
    return list( history.list_allocations(session, tenant.id, PageParams(limit=200),
                                    pool_id=pool.id).items)


def test_requested_delegated_prefixes_are_checked(session: Session, tenant: Tenant) -> None:
    pool = _pd_pool(session, tenant, "2001:db8:5000::/48", 56)
    assert take(session, pool, "2001:db8:5000:4200::/56").cidr == "2001:db8:5000:4200::/56"
    with pytest.raises(AddressConflictError, match="already allocated"):
        take(session, pool, "2001:db8:5000:4200::/56")
    with pytest.raises(InvalidPrefixError, match="delegates /56 prefixes"):
        take(session, pool, "2001:db8:5000:4300::/60")
    with pytest.raises(InvalidPrefixError, match="host bits set"):
        take(session, pool, "2001:db8:5000:4301::/56")
    with pytest.raises(AddressOutsidePoolError, match="outside pool"):
        take(session, pool, "2001:db8:9999::/56")
    with pytest.raises(InvalidPrefixError, match="delegates /56"):
        take(session, pool, "10.0.0.0/24")


def test_a_delegated_prefix_is_bound_to_its_subscription(session: Session,
                                                         tenant: Tenant) -> None:
    pool = _pd_pool(session, tenant, "2001:db8:6000::/48", 56)
    v4 = make_pool(session, tenant, "100.64.0.0/24")
    subscription = uuid.uuid4()
    take(session, v4, holder_id=subscription)
    pd = take(session, pool, holder_id=subscription)
    found = service.subscription_addresses(session, tenant.id, subscription)
    assert (found.ipv4_address, found.ipv6_delegated_prefix, found.ipv6_address) == (
        "100.64.0.1", pd.cidr, None)
    assert service.subscription_addresses(session, tenant.id, uuid.uuid4()).allocations == []
