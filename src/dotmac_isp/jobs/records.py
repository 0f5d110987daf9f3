"""Writing what a job run leaves: its run row (written `running` when it starts, finished in
place) and tenants' failures. Each record is written in a transaction of its own, after the
work it describes: a failed tenant's transaction has been rolled back by then. A record that
cannot be written is logged, never a reason for the job to fail."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from dotmac_isp.jobs.models import JobFailure, JobRun
from dotmac_isp.shared.types import utcnow

log = logging.getLogger(__name__)
ERROR_CHARS = 2000
LOG_CHARS = 20_000
ABANDONED = "the process running it stopped before it finished (its lease expired)"


def record_failure(database: Any, job: str, tenant_id: uuid.UUID, error: str) -> None:
    if database is None:
        return
    try:
        with database.unit_of_work() as session:
            session.add(JobFailure(tenant_id=tenant_id, job=job, occurred_at=utcnow(),
                                   error=error[:ERROR_CHARS]))
    except Exception:
        log.exception("could not record a tenant's job failure",
                      extra={"job": job, "tenant_id": str(tenant_id)})


def start_run(database: Any, job: str, started_at: datetime, *, trigger: str, holder: str,
              attempt: int = 1) -> uuid.UUID | None:
    """The run's row, `running` until finish_run; None if it could not be written. Called
    under the job's lease, so an earlier run still `running` lost its process: it is closed
    as failed."""
    try:
        with database.unit_of_work() as session:
            session.execute(update(JobRun).where(
                JobRun.job == job, JobRun.status == "running").values(
                status="failed", finished_at=started_at, error=ABANDONED, summary=ABANDONED))
            run = JobRun(job=job, started_at=started_at, status="running", trigger=trigger,
                         holder=holder[:200], attempt=attempt, tenant_failures=0,
                         summary="", error="", log="")
            session.add(run)
            session.flush()
            return run.id
    except Exception:
        log.exception("could not record a job run's start", extra={"job": job})
        return None


def finish_run(database: Any, run_id: uuid.UUID | None, job: str, started_at: datetime,
               status: str, *, summary: str = "", error: str = "", lines: str = "") -> str:
    """Close the run's row; `succeeded` becomes `partial` when tenants failed meanwhile.
    Returns the status recorded."""
    if run_id is None:
        return status
    try:
        with database.unit_of_work() as session:
            failures = session.scalar(select(func.count()).select_from(JobFailure).where(
                JobFailure.job == job, JobFailure.occurred_at >= started_at)) or 0
            if status == "succeeded" and failures:
                status = "partial"
            session.execute(update(JobRun).where(JobRun.id == run_id).values(
                status=status, finished_at=utcnow(), tenant_failures=failures,
                summary=summary[:ERROR_CHARS], error=error[:ERROR_CHARS],
                log=lines[-LOG_CHARS:]))
    except Exception:
        log.exception("could not record a job run's end", extra={"job": job})
    return status


@dataclass(frozen=True)
class RecentRun:
    started_at: datetime
    holder: str


def ran_elsewhere(database: Any, job: str, process: str, since: datetime) -> RecentRun | None:
    """The latest finished scheduled run of the job started at `since` or later by a process
    other than `process` (a holder's "host:pid"), if any. A failed run does not count (the
    job is still to be done), nor does a run asked for after a commit: the schedule is kept
    by the scheduled runs alone, whatever else asks for the job."""
    with database.unit_of_work(write=False) as session:
        row = session.execute(select(JobRun.started_at, JobRun.holder).where(
            JobRun.job == job, JobRun.started_at >= since, JobRun.trigger == "schedule",
            JobRun.status.in_(("succeeded", "partial")),
            ~JobRun.holder.startswith(f"{process}/", autoescape=True))
            .order_by(JobRun.started_at.desc()).limit(1)).first()
    return RecentRun(row[0], row[1]) if row is not None else None


def record_skipped(database: Any, job: str, *, trigger: str, holder: str,
                   summary: str) -> None:
    """A run that did not start: another process holds the job's lease, or has just run it."""
    try:
        with database.unit_of_work() as session:
            now = utcnow()
            session.add(JobRun(job=job, started_at=now, finished_at=now, status="skipped",
                               trigger=trigger, holder=holder[:200], attempt=1,
                               tenant_failures=0, error="",
                               summary=summary[:ERROR_CHARS], log=""))
    except Exception:
        log.exception("could not record a skipped job run", extra={"job": job})
