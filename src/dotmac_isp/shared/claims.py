"""Work items claimed in batches and sent on a bounded pool of threads (the outboxes).

A sender claims due rows in one short transaction (on PostgreSQL `FOR UPDATE SKIP LOCKED`,
so two senders never wait on or take the same rows; on SQLite the writer lock taken at BEGIN
serialises claims) and sends them with no transaction open. Whenever sends finish, one short
transaction records their outcomes and claims as many rows as there are free workers (plus a
small queue), so a claimed row is sent soon and never waits long enough for its lease to run
out, and the commits per row fall as the load grows.
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")


def skip_locked(session: Session, statement: Select[Any]) -> Select[Any]:
    """Lock the selected rows for this transaction, passing over rows another transaction
    holds; SQLite has no row locks (its writer lock already serialises the claim)."""
    if session.get_bind().dialect.name == "postgresql":
        return statement.with_for_update(skip_locked=True)
    return statement


def running_clock(start: datetime) -> Callable[[], datetime]:
    """`start` moved on by the real time elapsed since: a job's time (which a test or a
    catch-up run may set) that still advances, so leases taken late in a long run start
    late too."""
    began = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - began)


def drain(exchange: Callable[[list[tuple[T, R]], int], Sequence[T]], send: Callable[[T], R],
          *, workers: int, limit: int, queue: int = 0, name: str = "sender") -> int:
    """Send up to `limit` items, `workers` at a time, each on a worker thread.

    exchange(results, room) records the finished sends and claims up to `room` more items,
    in one short transaction; it runs whenever sends finish, so outcomes are stored as they
    arrive and the freed workers are fed in the same commit. At most `queue` claimed items
    wait for a worker (0: a claimed item is sent at once, so it never waits behind a slow
    peer). send(item) must not raise: it turns failures into its result. A claim that comes
    back short means nothing else is due: no more claims follow. Returns how many items were
    claimed.
    """
    workers = max(1, workers)
    capacity = workers + max(0, queue)
    inflight: dict[Future[R], T] = {}
    results: list[tuple[T, R]] = []
    claimed, exhausted = 0, False
    with ThreadPoolExecutor(workers, thread_name_prefix=name) as pool:
        while True:
            room = 0 if exhausted else min(capacity - len(inflight), limit - claimed)
            if results or room > 0:
                batch = exchange(results, room)
                results = []
                if room > 0:
                    claimed += len(batch)
                    exhausted = len(batch) < room or claimed >= limit
                for item in batch:
                    # in the caller's context (its trace span, above all): pool threads
                    # start with an empty one, and each send needs a copy of its own
                    context = contextvars.copy_context()
                    inflight[pool.submit(context.run, send, item)] = item
            if not inflight:
                return claimed
            done, _pending = wait(inflight, return_when=FIRST_COMPLETED)
            results = [(inflight.pop(future), future.result()) for future in done]
