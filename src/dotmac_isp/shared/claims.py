"""Work items claimed in batches and sent on a bounded pool of threads (the outboxes).

A sender claims due rows in one short transaction (on PostgreSQL `FOR UPDATE SKIP LOCKED`,
so two senders never wait on or take the same rows; on SQLite the writer lock taken at BEGIN
serialises claims), sends them with no transaction open, and records each outcome in another
short transaction. It claims only as many rows as it has free workers, so a claimed row is
sent at once and never waits behind a slow peer while its lease runs out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
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


def drain(claim: Callable[[int], Sequence[T]], send: Callable[[T], R],
          record: Callable[[list[tuple[T, R]]], None], *, workers: int, limit: int,
          name: str = "sender") -> int:
    """Claim up to `limit` items, at most `workers` in flight at once, send each on a worker
    thread and record outcomes as they arrive (each wave of finished sends in one call).

    claim(n) claims up to n items in one transaction; send(item) must not raise (it turns
    failures into its result); record(results) writes them in one short transaction. A short
    claim means nothing else is due, so no more claims follow. Returns how many were claimed.
    """
    workers = max(1, workers)
    inflight: dict[Future[R], T] = {}
    claimed, exhausted = 0, False
    with ThreadPoolExecutor(workers, thread_name_prefix=name) as pool:
        while True:
            room = min(workers - len(inflight), limit - claimed)
            if not exhausted and room > 0:
                batch = claim(room)
                claimed += len(batch)
                exhausted = len(batch) < room or claimed >= limit
                for item in batch:
                    inflight[pool.submit(send, item)] = item
            if not inflight:
                return claimed
            done, _pending = wait(inflight, return_when=FIRST_COMPLETED)
            record([(inflight.pop(future), future.result()) for future in done])
