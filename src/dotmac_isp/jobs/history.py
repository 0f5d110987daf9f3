"""Job runs and tenants' failures as operators see them (/admin/jobs and `dotmac-isp jobs
history`), and running a job by hand with its record (records.py writes them)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dotmac_isp.jobs import execution
from dotmac_isp.jobs.models import JobFailure, JobLease, JobRun
from dotmac_isp.jobs.records import record_failure
from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.shared import retention
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.types import utcnow

__all__ = ["held_leases", "last_runs", "prune", "recent_runs", "record_failure", "run_recorded",
           "tenant_failures"]


def run_recorded(name: str, ctx: JobContext, *, trigger: str = "manual") -> str:
    """Run a job now under its lease and leave its run record; returns its summary (or why
    it was skipped) and raises what the job raised."""
    try:
        return execution.run_job(name, ctx, trigger=trigger).summary
    except execution.JobFailed as failed:
        cause = failed.__cause__
        raise cause if isinstance(cause, Exception) else failed from None


@dataclass(frozen=True)
class LastRun:
    job: str
    started_at: datetime
    seconds: float | None  # None while it runs
    status: str


def last_runs(session: Session) -> dict[str, LastRun]:
    """The latest run of each job: one indexed lookup per job name seen."""
    latest = (select(JobRun.job, func.max(JobRun.started_at).label("at"))
              .group_by(JobRun.job).subquery())
    rows = session.execute(select(JobRun).join(
        latest, (JobRun.job == latest.c.job) & (JobRun.started_at == latest.c.at)))
    return {run.job: LastRun(run.job, run.started_at, _seconds(run), run.status)
            for run in rows.scalars()}


def _seconds(run: JobRun) -> float | None:
    if run.finished_at is None:
        return None
    return (run.finished_at - run.started_at).total_seconds()


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


def held_leases(session: Session) -> list[JobLease]:
    """The jobs some process is running now (their leases not yet expired)."""
    return list(session.scalars(select(JobLease).where(JobLease.expires_at > utcnow())
                                .order_by(JobLease.acquired_at)))


def prune(database: Database, before: datetime, batch_size: int) -> int:
    """Delete run and failure records older than `before`, a batch per transaction."""
    return (retention.delete_in_batches(database, JobRun, JobRun.started_at < before,
                                        batch_size=batch_size)
            + retention.delete_in_batches(database, JobFailure,
                                          JobFailure.occurred_at < before,
                                          batch_size=batch_size))
