"""Usage from accounting: per-subscription daily totals, and the data cap (FUP).

The roll-up stores, per session and UTC day, the session's cumulative counters as last seen
that day (a mark). A day's usage is the sum over sessions of the mark minus the session's
previous mark, so rolling up again recomputes the same numbers: the job is idempotent, and a
late interim simply raises that day's mark.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from dotmac_isp.config import RadiusSettings
from dotmac_isp.modules.network.radius import changes, coa, policy, store
from dotmac_isp.modules.network.radius.enums import CoaKind, CoaReason
from dotmac_isp.modules.network.radius.models import (
    DataCapState,
    NasClient,
    RadAcct,
    UsageDaily,
    UsageMark,
)
from dotmac_isp.modules.services.models import Plan, Subscription
from dotmac_isp.shared.types import utcnow

WINDOW = timedelta(days=2)  # sessions seen this recently are rolled up again
MEGABYTE = 1_000_000


def _insert(session: Session, model: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(model)


def rollup(session: Session, now: datetime) -> int:
    """Mark recently active sessions and recompute the days they touched; returns the
    number of (subscription, day) totals written."""
    seen = func.coalesce(RadAcct.acctstoptime, RadAcct.acctupdatetime, RadAcct.acctstarttime)
    rows = session.execute(
        select(RadAcct.radacctid, RadAcct.tenant_id, RadAcct.subscription_id, seen,
               RadAcct.acctinputoctets, RadAcct.acctoutputoctets, RadAcct.acctsessiontime)
        .where(RadAcct.subscription_id.is_not(None), seen >= now - WINDOW)).all()
    if not rows:
        return 0
    marks: list[dict[str, Any]] = [{"radacctid": rid, "usage_date": at.date(), "tenant_id": tenant,
              "subscription_id": sub, "input_octets": i or 0, "output_octets": o or 0,
              "session_seconds": t or 0} for rid, tenant, sub, at, i, o, t in rows]
    stmt = _insert(session, UsageMark)
    session.execute(stmt.on_conflict_do_update(
        index_elements=[UsageMark.radacctid, UsageMark.usage_date],
        set_={k: stmt.excluded[k] for k in ("input_octets", "output_octets",
                                             "session_seconds")}), marks)
    affected: set[tuple[uuid.UUID, date]] = {(m["subscription_id"], m["usage_date"])
                                             for m in marks}
    return _recompute(session, affected, now)


def _recompute(session: Session, affected: set[tuple[uuid.UUID, date]], now: datetime) -> int:
    subs = {sub for sub, _ in affected}
    totals: dict[tuple[uuid.UUID, date], list[int]] = defaultdict(lambda: [0, 0, 0])
    tenants: dict[uuid.UUID, uuid.UUID] = {}
    previous: dict[int, tuple[int, int, int]] = {}
    sub_list = list(subs)
    for start in range(0, len(sub_list), 500):
        marks = session.execute(
            select(UsageMark.radacctid, UsageMark.usage_date, UsageMark.subscription_id,
                   UsageMark.tenant_id, UsageMark.input_octets, UsageMark.output_octets,
                   UsageMark.session_seconds)
            .where(UsageMark.subscription_id.in_(sub_list[start:start + 500]))
            .order_by(UsageMark.radacctid, UsageMark.usage_date)).all()
        for rid, day, sub, tenant, i, o, t in marks:
            before = previous.get(rid, (0, 0, 0))
            previous[rid] = (i, o, t)
            if (sub, day) in affected:
                total = totals[(sub, day)]
                # a counter that went down means the NAS reset it: count from zero
                total[0] += i - before[0] if i >= before[0] else i
                total[1] += o - before[1] if o >= before[1] else o
                total[2] += t - before[2] if t >= before[2] else t
                tenants[sub] = tenant
    rows = [{"id": uuid.uuid4(), "tenant_id": tenants[sub], "subscription_id": sub,
             "usage_date": day, "input_octets": v[0], "output_octets": v[1],
             "session_seconds": v[2], "updated_at": now} for (sub, day), v in totals.items()]
    if rows:
        stmt = _insert(session, UsageDaily)
        session.execute(stmt.on_conflict_do_update(
            index_elements=[UsageDaily.subscription_id, UsageDaily.usage_date],
            set_={k: stmt.excluded[k] for k in ("input_octets", "output_octets",
                                                 "session_seconds", "updated_at")}), rows)
    return len(rows)


@dataclass(frozen=True)
class CapResult:
    capped: int
    requests: int


def enforce_caps(session: Session, settings: RadiusSettings, now: datetime) -> CapResult:
    """Subscriptions whose month's usage reached the plan's data cap get the speed after the
    cap: a state row (the policy cache reads it on re-auth) and a CoA for live sessions.
    Already capped subscriptions are left alone, so running it again does nothing."""
    period = store.month_start(now.date())
    used = func.sum(UsageDaily.input_octets + UsageDaily.output_octets)
    candidates = session.execute(
        select(UsageDaily.tenant_id, UsageDaily.subscription_id, used, Plan.data_cap_mb)
        .join(Subscription, Subscription.id == UsageDaily.subscription_id)
        .join(Plan, Plan.id == Subscription.plan_id)
        .where(UsageDaily.usage_date >= period, Plan.data_cap_mb.is_not(None),
               Subscription.status == "active")
        .group_by(UsageDaily.tenant_id, UsageDaily.subscription_id, Plan.data_cap_mb)).all()
    already = set(session.scalars(select(DataCapState.subscription_id).where(
        DataCapState.period_start == period)))
    capped = requests = 0
    for tenant_id, sub_id, total, cap_mb in candidates:
        if sub_id in already or cap_mb is None or (total or 0) < cap_mb * MEGABYTE:
            continue
        session.add(DataCapState(tenant_id=tenant_id, subscription_id=sub_id,
                                 period_start=period, used_octets=int(total), capped_at=now))
        session.flush()
        changes.subscription_changed(session, tenant_id, sub_id)
        requests += len(push_speed(session, settings, tenant_id, sub_id, CoaReason.DATA_CAP,
                                   capped=True))
        capped += 1
    return CapResult(capped, requests)


def push_speed(session: Session, settings: RadiusSettings, tenant_id: uuid.UUID,
               subscription_id: uuid.UUID, reason: CoaReason, *,
               capped: bool | None = None) -> list[Any]:
    """CoA with the subscription's current speed to each of its live sessions; a Disconnect
    where the NAS's vendor has no rate attribute (the reconnect picks up the new policy)."""
    sub = session.get(Subscription, subscription_id)
    if sub is None:
        return []
    plan = store.plan_snapshot(sub.plan)
    if capped is None:
        capped = session.get(DataCapState, (subscription_id, store.month_start(
            utcnow().date()))) is not None
    down, up = plan.download_kbps, plan.upload_kbps
    if capped and plan.fup_download_kbps and plan.fup_upload_kbps:
        down, up = plan.fup_download_kbps, plan.fup_upload_kbps
    queued = []
    for row in coa.open_sessions_of(session, tenant_id, subscription_id):
        nas = session.get(NasClient, row.nas_id) if row.nas_id else None
        if nas is None:
            continue
        pairs = policy.rate_pairs(nas.vendor, down, up, plan, settings, burst=not capped)
        kind = CoaKind.COA if pairs else CoaKind.DISCONNECT
        request = coa.queue_for_session(session, row, kind, reason, attributes=pairs)
        if request is not None:
            queued.append(request)
    return queued


def series(session: Session, tenant_id: uuid.UUID, subscription_id: uuid.UUID,
           start: date, end: date) -> list[UsageDaily]:
    return list(session.scalars(
        select(UsageDaily).where(UsageDaily.tenant_id == tenant_id,
                                 UsageDaily.subscription_id == subscription_id,
                                 UsageDaily.usage_date >= start, UsageDaily.usage_date <= end)
        .order_by(UsageDaily.usage_date)))
