"""RADIUS jobs: CoA delivery, stale sessions, usage roll-up, data caps, log pruning and
retention of accounting and the authentication log."""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from dotmac_isp.jobs.registry import JobContext, job
from dotmac_isp.jobs.tenants import for_each_tenant
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.network.radius import accounting, coa, retention, usage
from dotmac_isp.modules.network.radius.models import PolicyChange, RadAcct

log = logging.getLogger(__name__)
STALE_CAUSE = "Stale-Session"
CHANGE_LOG_DAYS = 1


@job("radius.deliver_coa", every=timedelta(seconds=30))
def deliver_coa(ctx: JobContext) -> str:
    """Send CoA/Disconnect requests that are due (first tries and retries with backoff),
    claimed in batches and sent coa_concurrency at a time."""
    states = coa.deliver_due(ctx.database, ctx.settings, ctx.now)
    return ", ".join(f"{n} {s}" for s, n in sorted(states.items())) or "nothing due"


def _tenants(ctx: JobContext) -> list[uuid.UUID]:
    with ctx.database.unit_of_work(write=False) as session:
        return identity_service.active_tenant_ids(session)


@job("radius.close_stale_sessions", every=timedelta(minutes=5))
def close_stale_sessions(ctx: JobContext) -> str:
    """Close open sessions the NAS has not updated for stale_session_minutes (their Stop was
    lost); a later interim reopens such a session. Each tenant's in a transaction of its
    own: one tenant's failure is recorded and the others are still closed."""
    cutoff = ctx.now - timedelta(minutes=ctx.settings.radius.stale_session_minutes)
    last_seen = func.coalesce(RadAcct.acctupdatetime, RadAcct.acctstarttime)
    stale: dict[uuid.UUID, list[tuple[int, datetime | None, datetime]]] = defaultdict(list)
    with ctx.database.unit_of_work(write=False) as session:
        for tenant_id, rid, start, seen in session.execute(
                select(RadAcct.tenant_id, RadAcct.radacctid, RadAcct.acctstarttime, last_seen)
                .where(RadAcct.acctstoptime.is_(None), last_seen < cutoff).limit(5000)):
            # the session ended some time after it was last heard of: say when it was
            stale[tenant_id].append((rid, start, seen))
    outcome = for_each_tenant(
        ctx, "radius.close_stale_sessions", sorted(stale),
        lambda session, tenant_id: accounting.close_each(session, stale[tenant_id],
                                                         STALE_CAUSE))
    return outcome.summary(f"{sum(outcome.results.values())} stale sessions closed")


@job("radius.rollup_usage", every=timedelta(minutes=5))
def rollup_usage(ctx: JobContext) -> str:
    """Roll accounting up into per-subscription daily usage (idempotent), each tenant in a
    transaction of its own."""
    outcome = for_each_tenant(ctx, "radius.rollup_usage", _tenants(ctx),
                              lambda session, tenant_id: usage.rollup(session, ctx.now,
                                                                      tenant_id))
    return outcome.summary(f"{sum(outcome.results.values())} subscription-days updated")


@job("radius.enforce_data_caps", every=timedelta(minutes=5))
def enforce_data_caps(ctx: JobContext) -> str:
    """Give subscriptions over their plan's data cap the speed after the cap (CoA), each
    tenant in a transaction of its own."""

    def cap_tenant(session: Session, tenant_id: uuid.UUID) -> usage.CapResult:
        usage.rollup(session, ctx.now, tenant_id)
        return usage.enforce_caps(session, ctx.settings.radius, ctx.now, tenant_id)

    outcome = for_each_tenant(ctx, "radius.enforce_data_caps", _tenants(ctx), cap_tenant)
    results = outcome.results.values()
    return outcome.summary(f"{sum(r.capped for r in results)} capped, "
                           f"{sum(r.requests for r in results)} CoA requests queued")


@job("radius.prune_policy_changes", every=timedelta(hours=1))
def prune_policy_changes(ctx: JobContext) -> str:
    """Drop policy-change log rows every RADIUS process has long since read."""
    with ctx.database.unit_of_work() as session:
        result = session.execute(delete(PolicyChange).where(
            PolicyChange.created_at < ctx.now - timedelta(days=CHANGE_LOG_DAYS)))
    return f"{result.rowcount} change rows pruned"


@job("radius.prune_accounting", every=timedelta(hours=6))
def prune_accounting(ctx: JobContext) -> str:
    """Delete accounting sessions stopped before the retention period, in batches."""
    conf = ctx.settings.retention
    deleted = retention.prune_accounting(ctx.database, ctx.now, days=conf.radacct_days,
                                         batch_size=conf.batch_size)
    return f"{deleted} sessions stopped over {conf.radacct_days} days ago deleted"


@job("radius.prune_postauth", every=timedelta(hours=6))
def prune_postauth(ctx: JobContext) -> str:
    """Delete authentication log rows older than the retention period, in batches."""
    conf = ctx.settings.retention
    deleted = retention.prune_postauth(ctx.database, ctx.now, days=conf.postauth_days,
                                       batch_size=conf.batch_size)
    return f"{deleted} authentication log rows over {conf.postauth_days} days old deleted"
