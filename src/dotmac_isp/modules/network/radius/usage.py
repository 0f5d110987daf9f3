"""Usage from accounting: per-subscription daily totals, and the data cap (FUP).

The roll-up stores, per session and UTC day, the session's cumulative counters as last seen
that day (a mark). A day's usage is the sum over sessions of the mark minus the session's
previous mark, so rolling up again recomputes the same numbers: the job is idempotent, and a
late interim simply raises (replaces) that day's mark. Each run reads only the radacct rows
written since the previous one (changed_at past a stored watermark).
"""

from __future__ import annotations

import uuid
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from dotmac_isp.config import RadiusSettings
from dotmac_isp.modules.network.radius import bulk, changes, coa, policy, store
from dotmac_isp.modules.network.radius.enums import CoaKind, CoaReason
from dotmac_isp.modules.network.radius.models import (
    DataCapState,
    NasClient,
    RadAcct,
    UsageDaily,
    UsageMark,
    UsageWatermark,
)
from dotmac_isp.modules.services.models import Plan, Subscription
from dotmac_isp.shared.types import utcnow

WINDOW = timedelta(days=2)  # the first run (no watermark yet) reads sessions this recent
# Rows stamped changed_at this long before the watermark are read again: a write that had
# stamped its rows but not yet committed when the last run read is not missed.
OVERLAP = timedelta(minutes=1)
_WATERMARK = "radacct"
_COUNTERS = ("input_octets", "output_octets", "session_seconds")
MEGABYTE = 1_000_000


def _insert(session: Session, model: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(model)


def rollup(session: Session, now: datetime, tenant_id: uuid.UUID | None = None) -> int:
    """Mark the sessions written since the last run and recompute the days they touched;
    returns the number of (subscription, day) totals that changed.

    With a tenant, only that tenant's sessions, under a watermark of its own: the job rolls
    each tenant up in its own transaction, so one tenant's failure holds back only its own
    usage (read again at the next run). Without, every tenant's, under the shared watermark
    (which a tenant's first run starts from)."""
    name = _WATERMARK if tenant_id is None else tenant_id.hex
    watermark = session.get(UsageWatermark, name, with_for_update=True)
    start = watermark if watermark is not None or tenant_id is None else session.get(
        UsageWatermark, _WATERMARK)
    since = start.changed_at - OVERLAP if start is not None else now - WINDOW
    seen = func.coalesce(RadAcct.acctstoptime, RadAcct.acctupdatetime, RadAcct.acctstarttime)
    # with each session its recent marks: a session whose mark already holds its counters
    # (read again in the overlap, or by a second run) is neither written nor recomputed
    recent = (since - WINDOW).date()
    rows = session.execute(
        select(RadAcct.radacctid, RadAcct.tenant_id, RadAcct.subscription_id, seen,
               RadAcct.acctinputoctets, RadAcct.acctoutputoctets, RadAcct.acctsessiontime,
               RadAcct.changed_at, UsageMark.usage_date, UsageMark.input_octets,
               UsageMark.output_octets, UsageMark.session_seconds)
        .outerjoin(UsageMark, and_(UsageMark.radacctid == RadAcct.radacctid,
                                   UsageMark.usage_date >= recent))
        .where(RadAcct.changed_at >= since, RadAcct.subscription_id.is_not(None),
               *([RadAcct.tenant_id == tenant_id] if tenant_id is not None else []))).all()
    stored = {(row[0], row[8]): tuple(row[9:]) for row in rows if row[8] is not None}
    marks: dict[tuple[int, date], dict[str, Any]] = {}
    for rid, tenant, sub, at, i, o, t, *_ in rows:
        if not at or (rid, at.date()) in marks:
            continue
        counts = (i or 0, o or 0, t or 0)
        if stored.get((rid, at.date())) != counts:
            marks[(rid, at.date())] = {
                "radacctid": rid, "usage_date": at.date(), "tenant_id": tenant,
                "subscription_id": sub, "input_octets": counts[0], "output_octets": counts[1],
                "session_seconds": counts[2]}
    written = 0
    if marks:
        bulk.upsert(session, UsageMark.__table__, list(marks.values()),  # type: ignore[arg-type]
                    ("radacctid", "usage_date"), _COUNTERS)
        written = _recompute(session, {(m["subscription_id"], m["usage_date"])
                                       for m in marks.values()}, now)
    newest = max((row[7] for row in rows if row[7] is not None), default=None)
    if newest is not None and (watermark is None or newest > watermark.changed_at):
        stmt = _insert(session, UsageWatermark)
        session.execute(stmt.on_conflict_do_update(
            index_elements=[UsageWatermark.name],
            set_={"changed_at": stmt.excluded.changed_at}),
            [{"name": name, "changed_at": newest}])
    return written


def _recompute(session: Session, affected: set[tuple[uuid.UUID, date]], now: datetime) -> int:
    """A day's usage is the sum over the sessions marked that day of the mark minus the
    session's previous mark: read the marks of the affected days and, for their sessions,
    the marks before; not the subscriptions' whole history."""
    first, last = min(d for _, d in affected), max(d for _, d in affected)
    on_days = []
    for subs in bulk.among(session, UsageMark.subscription_id, {sub for sub, _ in affected}):
        on_days += [row for row in session.execute(
            select(UsageMark.radacctid, UsageMark.usage_date, UsageMark.subscription_id,
                   UsageMark.tenant_id, UsageMark.input_octets, UsageMark.output_octets,
                   UsageMark.session_seconds)
            .where(subs, UsageMark.usage_date >= first,
                   UsageMark.usage_date <= last)) if (row[2], row[1]) in affected]
    earlier: dict[int, list[tuple[date, int, int, int]]] = defaultdict(list)
    for rids in bulk.among(session, UsageMark.radacctid, {row[0] for row in on_days}):
        for rid, day, i, o, t in session.execute(
                select(UsageMark.radacctid, UsageMark.usage_date, UsageMark.input_octets,
                       UsageMark.output_octets, UsageMark.session_seconds)
                .where(rids, UsageMark.usage_date < last)
                .order_by(UsageMark.radacctid, UsageMark.usage_date)):
            earlier[rid].append((day, i, o, t))
    totals: dict[tuple[uuid.UUID, date], list[int]] = defaultdict(lambda: [0, 0, 0])
    tenants: dict[uuid.UUID, uuid.UUID] = {}
    for rid, day, sub, tenant, *now_counts in on_days:
        before = earlier[rid]
        at = bisect_left(before, day, key=lambda mark: mark[0])
        previous = before[at - 1][1:] if at else (0, 0, 0)
        total = totals[(sub, day)]
        for k in range(3):
            # a counter that went down means the NAS reset it: count from zero
            value, prior = now_counts[k], previous[k]
            total[k] += value - prior if value >= prior else value
        tenants[sub] = tenant
    stored: dict[tuple[uuid.UUID, date], tuple[int, int, int]] = {}
    for subs in bulk.among(session, UsageDaily.subscription_id, tenants):
        for sub, day, *counts in session.execute(
                select(UsageDaily.subscription_id, UsageDaily.usage_date,
                       UsageDaily.input_octets, UsageDaily.output_octets,
                       UsageDaily.session_seconds)
                .where(subs, UsageDaily.usage_date >= first,
                       UsageDaily.usage_date <= last)):
            stored[(sub, day)] = tuple(counts)  # type: ignore[assignment]
    # only totals that changed are written: a second run writes nothing
    rows = [{"id": uuid.uuid4(), "tenant_id": tenants[sub], "subscription_id": sub,
             "usage_date": day, "input_octets": v[0], "output_octets": v[1],
             "session_seconds": v[2], "updated_at": now} for (sub, day), v in totals.items()
            if stored.get((sub, day)) != tuple(v)]
    bulk.upsert(session, UsageDaily.__table__, rows,  # type: ignore[arg-type]
                ("subscription_id", "usage_date"), (*_COUNTERS, "updated_at"))
    return len(rows)


@dataclass(frozen=True)
class CapResult:
    capped: int
    requests: int


def enforce_caps(session: Session, settings: RadiusSettings, now: datetime,
                 tenant_id: uuid.UUID | None = None) -> CapResult:
    """Subscriptions whose month's usage reached the plan's data cap get the speed after the
    cap: a state row (the policy cache reads it on re-auth) and a CoA for live sessions.
    Already capped subscriptions are left alone, so running it again does nothing. With a
    tenant, only that tenant's subscriptions."""
    period = store.month_start(now.date())
    used = func.sum(UsageDaily.input_octets + UsageDaily.output_octets)
    own = [UsageDaily.tenant_id == tenant_id] if tenant_id is not None else []
    candidates = session.execute(
        select(UsageDaily.tenant_id, UsageDaily.subscription_id, used, Plan.data_cap_mb)
        .join(Subscription, Subscription.id == UsageDaily.subscription_id)
        .join(Plan, Plan.id == Subscription.plan_id)
        .where(UsageDaily.usage_date >= period, Plan.data_cap_mb.is_not(None),
               Subscription.status == "active", *own)
        .group_by(UsageDaily.tenant_id, UsageDaily.subscription_id, Plan.data_cap_mb)).all()
    already = set(session.scalars(select(DataCapState.subscription_id).where(
        DataCapState.period_start == period,
        *([DataCapState.tenant_id == tenant_id] if tenant_id is not None else []))))
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
