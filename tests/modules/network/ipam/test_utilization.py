"""Utilization of pools and prefixes, threshold alerts and the events they publish."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.ipam import allocation, pools, prefixes, schemas, utilization
from dotmac_isp.modules.network.ipam.enums import AllocationStatus, PoolKind
from dotmac_isp.modules.network.ipam.events import (
    UtilizationRecovered,
    UtilizationThresholdCrossed,
)
from dotmac_isp.modules.network.ipam.models import UtilizationAlert
from dotmac_isp.shared.events import DomainEvent
from dotmac_isp.shared.pagination import PageParams
from tests.modules.network.ipam.factories import make_pool, make_prefix, take


def _published(session: Session, kind: type[DomainEvent]) -> list[DomainEvent]:
    return [e for e in session.info.get("published_events", []) if isinstance(e, kind)]


def _alerts(session: Session) -> list[UtilizationAlert]:
    return list(session.scalars(select(UtilizationAlert).order_by(UtilizationAlert.crossed_at)))


def test_pool_utilization_counts_every_status(session: Session, tenant: Tenant) -> None:
    pool = make_pool(session, tenant, "192.0.2.0/28", gateway="192.0.2.1")  # 14 usable
    take(session, pool)
    take(session, pool, status=AllocationStatus.RESERVED)
    usage = utilization.pool_utilization(session, tenant.id, pool)
    assert (usage.used, usage.total, usage.free, usage.allocated, usage.reserved, usage.held,
            usage.unit) == (3, 14, 11, 1, 2, 0, "address")
    assert usage.percent == 21.43 and not usage.above_threshold


def test_prefix_utilization_sums_children_and_pools(session: Session, tenant: Tenant) -> None:
    top = make_prefix(session, tenant, "10.20.0.0/16")
    make_prefix(session, tenant, "10.20.1.0/24")
    make_prefix(session, tenant, "10.20.2.0/23")
    pool = make_pool(session, tenant, "10.20.8.0/24")
    usage = utilization.prefix_utilization(session, tenant.id, top)
    assert (usage.used, usage.total) == (256 + 512 + 256, 65536)
    assert usage.percent == 1.56
    for _ in range(3):
        take(session, pool)
    pool_prefix = prefixes.get_prefix(session, tenant.id, pool.prefix_id)
    assert utilization.prefix_utilization(session, tenant.id, pool_prefix).used == 3


def test_ipv6_utilization_is_exact_at_any_size(session: Session, tenant: Tenant) -> None:
    block = make_prefix(session, tenant, "2001:db8::/32")
    make_prefix(session, tenant, "2001:db8::/33")
    pd = make_pool(session, tenant, "2001:db8:8000::/48", kind=PoolKind.DELEGATION,
                   delegated_length=56)
    take(session, pd)
    usage = utilization.prefix_utilization(session, tenant.id, block)
    assert usage.total == 2**96
    assert usage.used == 2**95 + 2**80
    assert usage.percent == 50.0
    pd_prefix = prefixes.get_prefix(session, tenant.id, pd.prefix_id)
    assert utilization.prefix_utilization(session, tenant.id, pd_prefix).used == 2**72
    pd_usage = utilization.pool_utilization(session, tenant.id, pd)
    assert (pd_usage.used, pd_usage.total, pd_usage.unit) == (1, 256, "prefix")


def test_crossing_the_pool_threshold_raises_one_alert_and_clears_it(
        session: Session, tenant: Tenant) -> None:
    pool = make_pool(session, tenant, "192.0.2.0/29", name="edge", threshold=50)  # 6 usable
    got = [take(session, pool) for _ in range(2)]
    assert _alerts(session) == []
    got.append(take(session, pool))  # 3 of 6 = 50%
    [alert] = _alerts(session)
    assert (alert.subject_type, alert.pool_id, alert.threshold_percent,
            float(alert.utilization_percent), alert.cleared_at) == ("pool", pool.id, 50, 50.0,
                                                                   None)
    assert alert.summary == "pool edge (192.0.2.0/29): 3 of 6 addresses in use (50.0%, " \
                            "threshold 50%)"
    [event] = _published(session, UtilizationThresholdCrossed)
    assert isinstance(event, UtilizationThresholdCrossed)
    assert (event.alert_id, event.subject_id, event.used, event.total, event.tenant_id) == (
        alert.id, pool.id, 3, 6, tenant.id)

    take(session, pool)  # still above: no second alert
    assert len(_alerts(session)) == 1
    for held in got:
        allocation.release(session, tenant.id, held.id)
    assert alert.cleared_at is not None
    assert len(_published(session, UtilizationRecovered)) == 1
    assert utilization.list_alerts(session, tenant.id, PageParams(), open_only=True).total == 0


def test_lowering_a_threshold_below_current_use_alerts_at_once(
        session: Session, tenant: Tenant) -> None:
    pool = make_pool(session, tenant, "192.0.2.0/29")
    take(session, pool)
    pools.update_pool(session, tenant.id, pool.id,
                      schemas.PoolUpdate(alert_threshold_percent=10))
    assert [a.pool_id for a in _alerts(session)] == [pool.id]


@pytest.mark.parametrize(("parent", "children"), [
    ("172.16.0.0/22", ["172.16.0.0/24", "172.16.1.0/24"]),
    ("2001:db8:100::/46", ["2001:db8:100::/48", "2001:db8:101::/48"]),
])
def test_prefix_threshold_alerts_when_children_fill_it(
        session: Session, tenant: Tenant, parent: str, children: list[str]) -> None:
    top = make_prefix(session, tenant, parent, threshold=50)
    make_prefix(session, tenant, children[0])
    assert _alerts(session) == []
    last = make_prefix(session, tenant, children[1])
    [alert] = _alerts(session)
    assert (alert.subject_type, alert.prefix_id, float(alert.utilization_percent)) == (
        "prefix", top.id, 50.0)
    prefixes.delete_prefix(session, tenant.id, last.id)
    assert alert.cleared_at is not None
