"""Recording job runs and tenants' failures where operators see them (/admin/jobs and
`dotmac-isp jobs history`). Each record is written in a transaction of its own, after the
work it describes: a failed tenant's transaction has been rolled back by then. A record that
cannot be written is logged, never a reason for the job to fail."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dotmac_isp.jobs import registry
from dotmac_isp.jobs.models import JobFailure, JobRun
from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.shared import retention
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.types import utcnow

log = logging.getLogger(__name__)
ERROR_CHARS = 2000


def run_recorded(name: str, ctx: JobContext) -> str:
    """Run a job and leave its run record: ok, partial (some tenants failed) or failed."""
    started = utcnow()
    try:
        summary = registry.run(name, ctx)
    except Exception as exc:
        record_run(ctx.database, name, started, "failed", f"{type(exc).__name__}: {exc}")
        raise
    record_run(ctx.database, name, started, "ok", summary)
    return summary


def record_failure(database: Database | None, job: str, tenant_id: uuid.UUID,
                   error: str) -> None:
    if database is None:
        return
    try:
        with database.unit_of_work() as session:
            session.add(JobFailure(tenant_id=tenant_id, job=job, occurred_at=utcnow(),
                                   error=error[:ERROR_CHARS]))
    except Exception:
        log.exception("could not record a tenant's job failure",
                      extra={"job": job, "tenant_id": str(tenant_id)})


def record_run(database: Database, job: str, started_at: datetime, outcome: str,
               summary: str) -> None:
    try:
        with database.unit_of_work() as session:
            finished = utcnow()
            failures = session.scalar(select(func.count()).select_from(JobFailure).where(
                JobFailure.job == job, JobFailure.occurred_at >= started_at)) or 0
            if outcome == "ok" and failures:
                outcome = "partial"
            session.add(JobRun(job=job, started_at=started_at, finished_at=finished,
                               outcome=outcome, tenant_failures=failures,
                               summary=summary[:ERROR_CHARS]))
    except Exception:
        log.exception("could not record a job run", extra={"job": job})


@dataclass(frozen=True)
class LastRun:
    job: str
    started_at: datetime
    seconds: float
    outcome: str


def last_runs(session: Session) -> dict[str, LastRun]:
    """The latest run of each job: one indexed lookup per job name seen."""
    latest = (select(JobRun.job, func.max(JobRun.started_at).label("at"))
              .group_by(JobRun.job).subquery())
    rows = session.execute(select(JobRun).join(
        latest, (JobRun.job == latest.c.job) & (JobRun.started_at == latest.c.at)))
    return {run.job: LastRun(run.job, run.started_at,
                             (run.finished_at - run.started_at).total_seconds(), run.outcome)
            for run in rows.scalars()}


def tenant_failures(session: Session, tenant_id: uuid.UUID, *, days: int = 30,
                    limit: int = 100) -> list[JobFailure]:
    since = utcnow() - timedelta(days=days)
    return list(session.scalars(
        select(JobFailure).where(JobFailure.tenant_id == tenant_id,
                                 JobFailure.occurred_at >= since)
        .order_by(JobFailure.occurred_at.desc()).limit(limit)))


def recent_runs(session: Session, job: str | None = None, limit: int = 50) -> list[JobRun]:
    stmt = select(JobRun).order_by(JobRun.started_at.desc()).limit(limit)
    if job:
        stmt = stmt.where(JobRun.job == job)
    return list(session.scalars(stmt))


def prune(database: Database, before: datetime, batch_size: int) -> int:
    """Delete run and failure records older than `before`, a batch per transaction."""
    return (retention.delete_in_batches(database, JobRun, JobRun.started_at < before,
                                        batch_size=batch_size)
            + retention.delete_in_batches(database, JobFailure,
                                          JobFailure.occurred_at < before,
                                          batch_size=batch_size))
