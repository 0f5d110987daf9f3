"""Job leases: one process at a time runs a job, across every API process, scheduler and
Celery worker sharing the database.

A lease is a row in job_leases (job, holder, expires_at). Taking it is one statement,
INSERT ... ON CONFLICT (job) DO UPDATE ... WHERE the lease has expired, so two takers racing
on PostgreSQL or SQLite get one winner. The holder renews it while the job runs and deletes
it at the end; a holder that crashed stops renewing and its lease expires.

Times are the application's clock (UTC); hosts sharing a database are expected to keep their
clocks in step (NTP), well within the lease's length.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dotmac_isp.jobs.models import JobLease
from dotmac_isp.shared.types import utcnow

log = logging.getLogger(__name__)


def new_holder() -> str:
    """A name for one run of a job: readable (host and process) and unique."""
    return f"{socket.gethostname()}:{os.getpid()}/{uuid.uuid4().hex[:8]}"


def process_of(holder: str) -> str:
    """The "host:pid" part of a holder made by new_holder()."""
    return holder.split("/", 1)[0]


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def acquire(database: Any, job: str, holder: str, ttl: timedelta,
            now: datetime | None = None) -> bool:
    """Take the job's lease if nobody holds it (or the last holder's has expired)."""
    now = now or utcnow()
    with database.unit_of_work() as session:
        insert = _insert(session)
        stmt = insert(JobLease).values(job=job, holder=holder, acquired_at=now,
                                       expires_at=now + ttl)
        stmt = stmt.on_conflict_do_update(
            index_elements=[JobLease.job],
            set_={"holder": stmt.excluded.holder, "acquired_at": stmt.excluded.acquired_at,
                  "expires_at": stmt.excluded.expires_at},
            where=JobLease.expires_at < now,
        ).returning(JobLease.holder)
        taken = session.execute(stmt).scalar_one_or_none()
    return taken == holder


def renew(database: Any, job: str, holder: str, ttl: timedelta,
          now: datetime | None = None) -> bool:
    """Push the lease's expiry on; False if it is no longer this holder's."""
    with database.unit_of_work() as session:
        result = session.execute(update(JobLease).where(
            JobLease.job == job, JobLease.holder == holder,
        ).values(expires_at=(now or utcnow()) + ttl))
        return bool(result.rowcount == 1)


def release(database: Any, job: str, holder: str) -> None:
    with database.unit_of_work() as session:
        session.execute(delete(JobLease).where(JobLease.job == job, JobLease.holder == holder))


def current(database: Any, job: str) -> JobLease | None:
    with database.unit_of_work(write=False) as session:
        return session.scalar(select(JobLease).where(JobLease.job == job))


@dataclass
class Lease:
    """A lease held for one run: renewed by a small thread until the run ends."""

    job: str
    holder: str
    ttl: timedelta
    lost: threading.Event = field(default_factory=threading.Event)


@contextmanager
def held(database: Any, job: str, ttl: timedelta,
         holder: str | None = None) -> Iterator[Lease | None]:
    """Hold the job's lease for the block (yields None when someone else holds it)."""
    lease = Lease(job, holder or new_holder(), ttl)
    if not acquire(database, job, lease.holder, ttl):
        yield None
        return
    stop = threading.Event()
    keeper = threading.Thread(target=_keep, args=(database, lease, stop),
                              name=f"lease-{job}", daemon=True)
    keeper.start()
    try:
        yield lease
    finally:
        stop.set()
        keeper.join()
        try:
            release(database, job, lease.holder)
        except Exception:  # it expires by itself
            log.exception("could not release a job lease", extra={"job": job})


def _keep(database: Any, lease: Lease, stop: threading.Event) -> None:
    interval = lease.ttl.total_seconds() / 3
    while not stop.wait(interval):
        try:
            if renew(database, lease.job, lease.holder, lease.ttl):
                continue
            lease.lost.set()
            log.warning("a job's lease was lost while it ran (it outlived its lease); another "
                        "process may start it", extra={"job": lease.job})
            return
        except Exception:  # the database is away for a moment: try again next interval
            log.exception("could not renew a job lease", extra={"job": lease.job})
