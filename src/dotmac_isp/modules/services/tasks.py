"""Jobs of the services module."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from dotmac_isp.jobs.registry import JobContext, job
from dotmac_isp.modules.services import service
from dotmac_isp.modules.services.enums import ScheduledState
from dotmac_isp.modules.services.models import ScheduledChange
from dotmac_isp.shared.errors import AppError

log = logging.getLogger(__name__)
BATCH = 500


@job("services.apply_scheduled_changes", every=timedelta(minutes=1))
def apply_scheduled_changes(ctx: JobContext) -> str:
    """Apply future-dated activations, suspensions, terminations and plan changes now due.

    Each change runs in its own savepoint: one that is no longer possible is marked failed with
    the reason, the others still apply. Applied changes leave the pending state, so a second
    run finds nothing to do.
    """
    applied = failed = 0
    with ctx.database.unit_of_work() as session:
        due = list(session.scalars(
            select(ScheduledChange)
            .where(ScheduledChange.state == ScheduledState.PENDING.value,
                   ScheduledChange.effective_at <= ctx.now)
            .order_by(ScheduledChange.effective_at, ScheduledChange.created_at)
            .limit(BATCH)))
        for change in due:
            try:
                with session.begin_nested():
                    service.apply_scheduled(session, change, ctx.now)
                applied += 1
            except AppError as exc:
                change.state, change.error = ScheduledState.FAILED.value, exc.detail[:500]
                change.applied_at = ctx.now
                failed += 1
                log.warning("scheduled change failed",
                            extra={"change_id": str(change.id), "reason": exc.detail})
        session.flush()
    return f"{applied} applied, {failed} failed"
