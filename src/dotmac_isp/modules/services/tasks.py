"""Jobs of the services module."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from dotmac_isp.jobs.registry import JobContext, job
from dotmac_isp.jobs.tenants import for_each_tenant
from dotmac_isp.modules.services import service
from dotmac_isp.modules.services.enums import ScheduledState
from dotmac_isp.modules.services.models import ScheduledChange
from dotmac_isp.shared.errors import AppError

log = logging.getLogger(__name__)
BATCH = 500
JOB = "services.apply_scheduled_changes"


@job(JOB, every=timedelta(minutes=1))
def apply_scheduled_changes(ctx: JobContext) -> str:
    """Apply future-dated activations, suspensions, terminations and plan changes now due.

    Each tenant's changes run in a transaction of their own, each change in its own savepoint:
    one that is no longer possible (or hits a defect) is marked failed with the reason, the
    others still apply.
    Applied changes leave the pending state, so a second run finds nothing to do.
    """
    due = (ScheduledChange.state == ScheduledState.PENDING.value,
           ScheduledChange.effective_at <= ctx.now)
    with ctx.database.unit_of_work(write=False) as session:
        tenant_ids = list(session.scalars(select(ScheduledChange.tenant_id).where(*due)
                                          .distinct()))

    def apply_for_tenant(session: Session, tenant_id: uuid.UUID) -> tuple[int, int]:
        applied = failed = 0
        changes = list(session.scalars(
            select(ScheduledChange).where(ScheduledChange.tenant_id == tenant_id, *due)
            .order_by(ScheduledChange.effective_at, ScheduledChange.created_at).limit(BATCH)))
        for change in changes:
            try:
                with session.begin_nested():
                    service.apply_scheduled(session, change, ctx.now)
                applied += 1
            except AppError as exc:
                _mark_failed(change, exc.detail, ctx.now)
                failed += 1
                log.warning("scheduled change failed",
                            extra={"change_id": str(change.id), "reason": exc.detail})
            except OperationalError:
                raise  # the database is away or locked: the tenant is retried next minute
            except Exception as exc:  # a defect: fail this change, not the tenant's others
                _mark_failed(change, f"internal error ({type(exc).__name__}); see the log",
                             ctx.now)
                failed += 1
                log.exception("scheduled change failed unexpectedly",
                              extra={"change_id": str(change.id)})
        session.flush()
        return applied, failed

    outcome = for_each_tenant(ctx, JOB, sorted(tenant_ids), apply_for_tenant)
    applied = sum(a for a, _ in outcome.results.values())
    failed = sum(f for _, f in outcome.results.values())
    return outcome.summary(f"{applied} applied, {failed} failed")


def _mark_failed(change: ScheduledChange, reason: str, now: datetime) -> None:
    change.state, change.error = ScheduledState.FAILED.value, reason[:500]
    change.applied_at = now
