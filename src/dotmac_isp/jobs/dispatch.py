"""Asking for a job to run soon, from inside a unit of work, once its transaction commits:

    coa.queue_for_session(...)  # writes an outbox row
    dispatch.run_job_after_commit(session, "radius.deliver_coa")

Nothing is sent if the transaction rolls back, and a job asked for several times in one
transaction is sent once. With a broker the job goes to a Celery worker (send_task); without,
this process's scheduler runs it at once (after its current run, if it is running), or, in an
API worker of `serve --workers N` (no scheduler of its own), a thread of this process runs it
under the job's lease. Either way the job's own interval is the safety net: a lost message
only delays the work.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from dotmac_isp.jobs import scheduler
from dotmac_isp.jobs.registry import JobContext

log = logging.getLogger(__name__)
_KEY = "jobs_after_commit"


class Sender(Protocol):
    def send_task(self, name: str, *args: Any, **kwargs: Any) -> Any: ...


_celery: list[Sender] = []  # this process's Celery app, when a broker is configured


def send_to(celery_app: Sender | None) -> None:
    """Send asked-for jobs to this Celery app (None: to the in-process scheduler)."""
    _celery[:] = [celery_app] if celery_app is not None else []


class _Local:
    """Runs asked-for jobs on a small pool of this process's threads, a job at most once
    queued at a time (a second ask while it waits is the same run)."""

    def __init__(self, database: Any, settings: Any) -> None:
        self.database, self.settings = database, settings
        self.pool = ThreadPoolExecutor(2, thread_name_prefix="dispatched-job")
        self.waiting: set[str] = set()
        self.lock = threading.Lock()

    def submit(self, name: str, trigger: str) -> None:
        with self.lock:
            if name in self.waiting:
                return
            self.waiting.add(name)
        self.pool.submit(self._run, name, trigger)

    def _run(self, name: str, trigger: str, tries: int = 0) -> None:
        from dotmac_isp.jobs import execution

        with self.lock:
            self.waiting.discard(name)
        try:
            result = execution.run_job(name, JobContext(self.database, self.settings),
                                       trigger=trigger)
        except Exception:  # recorded by run_job; the job's interval tries again
            log.exception("a dispatched job failed", extra={"job": name})
            return
        if result.status == "skipped" and tries < len(scheduler.HELD_RETRY_SECONDS):
            # another process runs it and may have claimed its rows before this commit
            timer = threading.Timer(scheduler.HELD_RETRY_SECONDS[tries],
                                    lambda: self.pool.submit(self._run, name, trigger, tries + 1))
            timer.daemon = True
            timer.start()


_local: list[_Local] = []


def run_in_this_process(database: Any, settings: Any) -> None:
    """Without a broker or a scheduler here (an API worker of `serve --workers N`), run
    asked-for jobs on threads of this process, under their leases."""
    _local[:] = [_Local(database, settings)]


def run_job_after_commit(session: Session, name: str) -> None:
    """Run the job soon, once this session's transaction commits; dropped on rollback."""
    session.info.setdefault(_KEY, {})[name] = None


def run_job_soon(name: str, *, trigger: str = "dispatch") -> bool:
    """Ask for the job now; False when nothing in this process can run or send it."""
    if _celery:
        try:
            _celery[0].send_task(name, kwargs={"trigger": trigger})
        except Exception:  # the broker is away: the job's own interval picks the work up
            log.exception("could not queue a job; it runs at its next interval",
                          extra={"job": name})
            return False
        return True
    active = scheduler.active()
    if active is not None:
        active.run_soon(name)
        return True
    if _local:
        _local[0].submit(name, trigger)
        return True
    return False


def _committed(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released: the transaction may still roll back
    for name in session.info.pop(_KEY, {}):
        run_job_soon(name)


def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_KEY, None)  # rolled back (a commit took them already)


def install() -> None:
    """Listen on every Session (idempotent)."""
    if not event.contains(Session, "after_commit", _committed):
        event.listen(Session, "after_commit", _committed)
        event.listen(Session, "after_transaction_end", _ended)


install()
