"""Asking for a job to run soon, from inside a unit of work, once its transaction commits:

    coa.queue_for_session(...)  # writes an outbox row
    dispatch.run_job_after_commit(session, "radius.deliver_coa")

Nothing is sent if the transaction rolls back, and a job asked for several times in one
transaction is sent once. With a broker the job goes to a Celery worker (send_task); without,
this process's scheduler runs it at once (after its current run, if it is running). Either way
the job's own interval is the safety net: a lost message only delays the work.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from dotmac_isp.jobs import scheduler

log = logging.getLogger(__name__)
_KEY = "jobs_after_commit"


class Sender(Protocol):
    def send_task(self, name: str, *args: Any, **kwargs: Any) -> Any: ...


_celery: list[Sender] = []  # this process's Celery app, when a broker is configured


def send_to(celery_app: Sender | None) -> None:
    """Send asked-for jobs to this Celery app (None: to the in-process scheduler)."""
    _celery[:] = [celery_app] if celery_app is not None else []


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
    if active is None:
        return False
    active.run_soon(name)
    return True


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
