"""Utilization of prefixes and pools, and the threshold alerts it raises.

A pool's use is its allocated_count (kept under the pool lock), so checking it costs nothing.
A prefix's use is the space of its direct children (summed from one GROUP BY over prefix
lengths, never by walking addresses); a pool's prefix is measured like its pool, against the
addresses it may hand out.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from dotmac_isp.modules.network.ipam.addressing import PoolLayout, parse_network
from dotmac_isp.modules.network.ipam.enums import AlertSubject, AllocationStatus, PoolKind
from dotmac_isp.modules.network.ipam.events import (
    UtilizationRecovered,
    UtilizationThresholdCrossed,
)
from dotmac_isp.modules.network.ipam.models import Pool, Prefix, UtilizationAlert
from dotmac_isp.modules.network.ipam.repository import (
    AlertRepository,
    AllocationRepository,
    PoolRepository,
    PrefixRepository,
)
from dotmac_isp.shared.events import publish
from dotmac_isp.shared.pagination import Page, PageParams
from dotmac_isp.shared.types import utcnow


@dataclass(frozen=True)
class Utilization:
    used: int
    total: int
    threshold_percent: int

    @property
    def free(self) -> int:
        return max(self.total - self.used, 0)

    @property
    def percent(self) -> float:
        return round(self.used * 100 / self.total, 2) if self.total else 100.0

    @property
    def above_threshold(self) -> bool:
        # Integer arithmetic: exact even for IPv6 sizes.
        return self.used * 100 >= self.threshold_percent * self.total

    def as_dict(self) -> dict[str, object]:
        return {"used": self.used, "total": self.total, "free": self.free,
                "percent": self.percent, "threshold_percent": self.threshold_percent,
                "above_threshold": self.above_threshold}


@dataclass(frozen=True)
class PoolUtilization(Utilization):
    unit: str = "address"
    allocated: int = 0
    reserved: int = 0
    held: int = 0

    def as_dict(self) -> dict[str, object]:
        return {**super().as_dict(), "unit": self.unit, "allocated": self.allocated,
                "reserved": self.reserved, "held": self.held}


def layout_of(pool: Pool) -> PoolLayout:
    return PoolLayout(parse_network(pool.network), PoolKind(pool.kind), pool.fully_usable,
                      pool.delegated_length)


def _pool_counts(pool: Pool, layout: PoolLayout) -> Utilization:
    return Utilization(pool.allocated_count, layout.capacity, pool.alert_threshold_percent)


def pool_utilization(session: Session, tenant_id: uuid.UUID, pool: Pool) -> PoolUtilization:
    """Slots in use against slots the pool may hand out, with the split by status."""
    layout = layout_of(pool)
    counts = AllocationRepository(session, tenant_id).counts_by_status(pool.id)
    return PoolUtilization(
        used=sum(counts.values()), total=layout.capacity,
        threshold_percent=pool.alert_threshold_percent,
        unit="prefix" if layout.kind is PoolKind.DELEGATION else "address",
        allocated=counts.get(AllocationStatus.ALLOCATED, 0),
        reserved=counts.get(AllocationStatus.RESERVED, 0),
        held=counts.get(AllocationStatus.HELD, 0))


def prefix_utilizations(session: Session, tenant_id: uuid.UUID,
                        prefixes: Sequence[Prefix]) -> dict[uuid.UUID, Utilization]:
    """Utilization of many prefixes with two queries, whatever their number."""
    ids = [p.id for p in prefixes]
    children: dict[uuid.UUID, int] = {}
    bits = {p.id: (32 if p.family == 4 else 128) for p in prefixes}
    for parent_id, length, count in PrefixRepository(session, tenant_id).child_lengths(ids):
        children[parent_id] = children.get(parent_id, 0) + count * (1 << (bits[parent_id]
                                                                          - length))
    pools = PoolRepository(session, tenant_id).for_prefixes(ids)
    result = {}
    for prefix in prefixes:
        used = children.get(prefix.id, 0)
        total = 1 << (bits[prefix.id] - prefix.prefix_length)
        threshold = prefix.alert_threshold_percent
        pool = pools.get(prefix.id)
        if pool is not None:
            # A pool's prefix is measured like the pool: against what it may hand out, with
            # the pool's threshold (the pool raises the alerts).
            layout = layout_of(pool)
            slot_size = 1 << (bits[prefix.id] - layout.slot_length)
            used += pool.allocated_count * slot_size
            total = layout.capacity * slot_size
            threshold = pool.alert_threshold_percent
        result[prefix.id] = Utilization(used, total, threshold)
    return result


def prefix_utilization(session: Session, tenant_id: uuid.UUID, prefix: Prefix) -> Utilization:
    return prefix_utilizations(session, tenant_id, [prefix])[prefix.id]


# Alerts ----------------------------------------------------------------------------------

def _open_alert(session: Session, tenant_id: uuid.UUID, subject: AlertSubject,
                subject_id: uuid.UUID, label: str, usage: Utilization, unit: str,
                now: datetime) -> UtilizationAlert:
    alert = UtilizationAlert(
        subject_type=subject.value,
        pool_id=subject_id if subject is AlertSubject.POOL else None,
        prefix_id=subject_id if subject is AlertSubject.PREFIX else None,
        label=label[:160], threshold_percent=usage.threshold_percent,
        utilization_percent=Decimal(str(usage.percent)),
        summary=f"{label}: {usage.used} of {usage.total} {unit} in use "
                f"({usage.percent}%, threshold {usage.threshold_percent}%)"[:255],
        crossed_at=now)
    AlertRepository(session, tenant_id).add(alert)
    publish(session, UtilizationThresholdCrossed(
        tenant_id=tenant_id, occurred_at=now, alert_id=alert.id, subject_type=subject.value,
        subject_id=subject_id, label=label, threshold_percent=usage.threshold_percent,
        utilization_percent=usage.percent, used=usage.used, total=usage.total))
    return alert


def _evaluate(session: Session, tenant_id: uuid.UUID, subject: AlertSubject,
              subject_id: uuid.UUID, label: str, usage: Utilization, unit: str,
              now: datetime | None) -> UtilizationAlert | None:
    """Open an alert when at or above the threshold with none open; clear it when below."""
    now = now or utcnow()
    alerts = AlertRepository(session, tenant_id)
    is_pool = subject is AlertSubject.POOL
    current = alerts.open_for(pool_id=subject_id) if is_pool else \
        alerts.open_for(prefix_id=subject_id)
    if usage.above_threshold and current is None:
        return _open_alert(session, tenant_id, subject, subject_id, label, usage, unit, now)
    if not usage.above_threshold and current is not None:
        current.cleared_at = now
        session.flush()
        publish(session, UtilizationRecovered(
            tenant_id=tenant_id, occurred_at=now, alert_id=current.id,
            subject_type=subject.value, subject_id=subject_id, label=label,
            threshold_percent=usage.threshold_percent, utilization_percent=usage.percent))
    return current


def pool_label(pool: Pool) -> str:
    return f"pool {pool.name} ({pool.network})"


def evaluate_pool(session: Session, pool: Pool, now: datetime | None = None) -> None:
    """Bring the pool's alert in line with its utilization."""
    layout = layout_of(pool)
    unit = "delegated prefixes" if layout.kind is PoolKind.DELEGATION else "addresses"
    _evaluate(session, pool.tenant_id, AlertSubject.POOL, pool.id, pool_label(pool),
              _pool_counts(pool, layout), unit, now)


def pool_count_changed(session: Session, pool: Pool, layout: PoolLayout, before: int,
                       now: datetime | None = None) -> None:
    """Called under the pool lock after allocated_count moved from `before`.

    Only a change that crosses the threshold looks at the alerts table, so an ordinary
    allocation pays nothing here.
    """
    threshold, capacity = pool.alert_threshold_percent, layout.capacity
    was_above = before * 100 >= threshold * capacity
    is_above = pool.allocated_count * 100 >= threshold * capacity
    if was_above != is_above:
        evaluate_pool(session, pool, now)


def evaluate_prefix(session: Session, tenant_id: uuid.UUID, prefix: Prefix,
                    now: datetime | None = None) -> None:
    """Bring the prefix's alert in line with its utilization (a pool's prefix has none of
    its own: the pool alerts)."""
    if PoolRepository(session, tenant_id).for_prefixes([prefix.id]):
        return
    usage = prefix_utilization(session, tenant_id, prefix)
    _evaluate(session, tenant_id, AlertSubject.PREFIX, prefix.id, f"prefix {prefix.network}",
              usage, "addresses", now)


def list_alerts(session: Session, tenant_id: uuid.UUID, params: PageParams, *,
                open_only: bool | None = None,
                pool_id: uuid.UUID | None = None) -> Page[UtilizationAlert]:
    """Threshold crossings, newest first; open_only True/False filters open or cleared."""
    repo = AlertRepository(session, tenant_id)
    stmt = repo.select().order_by(UtilizationAlert.crossed_at.desc(), UtilizationAlert.id)
    if pool_id is not None:
        stmt = stmt.where(UtilizationAlert.pool_id == pool_id)
    if open_only is not None:
        cleared = UtilizationAlert.cleared_at
        stmt = stmt.where(cleared.is_(None) if open_only else cleared.is_not(None))
    return repo.list(params, stmt)
