"""The free slots of each pool, kept as ranges [start_slot, end_slot].

Next free is the start of the pool's lowest range: one probe of the (pool_id, start_slot)
primary key, however full the pool and wherever its holes are. Taking a slot shrinks or
splits its range, freeing one grows or merges its neighbours. Every change happens under the
pool's row lock, so the ranges always complement the pool's allocations within the slots the
pool may hand out; rebuild() recomputes them from the allocations should they ever need it.

Statements are Core (not ORM objects): ranges are rewritten in place and never cached.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, delete, insert, select, update
from sqlalchemy.orm import Session

from dotmac_isp.modules.network.ipam.addressing import SLOT_BIAS, PoolLayout, encode_slot
from dotmac_isp.modules.network.ipam.models import Allocation, FreeRange, Pool

SLOT_MAX = SLOT_BIAS - 1


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def _where(pool: Pool) -> tuple[ColumnElement[bool], ...]:
    # The pool is already the tenant's (it was loaded through the tenant repository), and
    # the pool id alone lets every query walk the (pool_id, start_slot) primary key.
    return (FreeRange.pool_id == pool.id,)


def _add(session: Session, pool: Pool, start: int, end: int) -> None:
    session.execute(insert(FreeRange).values(tenant_id=pool.tenant_id, pool_id=pool.id,
                                             start_slot=start, end_slot=end))


def _set(session: Session, pool: Pool, old_start: int, *, start: int | None = None,
         end: int | None = None) -> None:
    values = {k: v for k, v in (("start_slot", start), ("end_slot", end)) if v is not None}
    session.execute(update(FreeRange).where(*_where(pool), FreeRange.start_slot == old_start)
                    .values(**values))


def _drop(session: Session, pool: Pool, start: int) -> None:
    session.execute(delete(FreeRange).where(*_where(pool), FreeRange.start_slot == start))


def _at_or_below(session: Session, pool: Pool, slot: int) -> Span | None:
    """The range with the greatest start at or below the slot (the one that may hold it)."""
    row = session.execute(select(FreeRange.start_slot, FreeRange.end_slot)
                          .where(*_where(pool), FreeRange.start_slot <= slot)
                          .order_by(FreeRange.start_slot.desc()).limit(1)).first()
    return Span(row[0], row[1]) if row else None


def _starting_at(session: Session, pool: Pool, slot: int) -> Span | None:
    row = session.execute(select(FreeRange.start_slot, FreeRange.end_slot)
                          .where(*_where(pool), FreeRange.start_slot == slot)).first()
    return Span(row[0], row[1]) if row else None


def lowest_free(session: Session, pool: Pool) -> int | None:
    """The lowest free slot of the pool, or None when it is exhausted."""
    return session.scalar(select(FreeRange.start_slot).where(*_where(pool))
                          .order_by(FreeRange.start_slot).limit(1))


def take_lowest(session: Session, pool: Pool) -> int | None:
    """Claim the lowest free slot (one read, one write), or None when the pool is exhausted."""
    row = session.execute(select(FreeRange.start_slot, FreeRange.end_slot).where(*_where(pool))
                          .order_by(FreeRange.start_slot).limit(1)).first()
    if row is None:
        return None
    start, end = row
    if start == end:
        _drop(session, pool, start)
    else:
        _set(session, pool, start, start=start + 1)
    return int(start)


def is_free(session: Session, pool: Pool, slot: int) -> bool:
    span = _at_or_below(session, pool, slot)
    return span is not None and span.end >= slot


def claim(session: Session, pool: Pool, slot: int) -> bool:
    """Take a slot out of the free space; False when it is not free."""
    span = _at_or_below(session, pool, slot)
    if span is None or span.end < slot:
        return False
    if span.start == slot == span.end:
        _drop(session, pool, span.start)
    elif span.start == slot:
        _set(session, pool, span.start, start=slot + 1)
    elif span.end == slot:
        _set(session, pool, span.start, end=slot - 1)
    else:
        _set(session, pool, span.start, end=slot - 1)
        _add(session, pool, slot + 1, span.end)
    return True


def release(session: Session, pool: Pool, slot: int) -> None:
    """Give a slot back, merging it with the free ranges on either side."""
    below = _at_or_below(session, pool, slot)
    if below is not None and below.end >= slot:
        return  # already free
    joins_below = below is not None and below.end == slot - 1
    above = _starting_at(session, pool, slot + 1) if slot < SLOT_MAX else None
    if joins_below and above is not None:
        assert below is not None
        _drop(session, pool, above.start)
        _set(session, pool, below.start, end=above.end)
    elif joins_below:
        assert below is not None
        _set(session, pool, below.start, end=slot)
    elif above is not None:
        _set(session, pool, above.start, start=slot)
    else:
        _add(session, pool, slot, slot)


def rebuild(session: Session, pool: Pool, layout: PoolLayout) -> int:
    """Recompute the pool's free ranges from its allocations; returns how many ranges.

    Reads the allocated slots in order (not every address), so it costs one pass over the
    pool's allocations. Run under the pool lock.
    """
    session.execute(delete(FreeRange).where(*_where(pool)))
    first, last = encode_slot(layout.first_index), encode_slot(layout.last_index)
    taken = session.scalars(select(Allocation.slot).where(
        Allocation.tenant_id == pool.tenant_id, Allocation.pool_id == pool.id,
        Allocation.slot >= first, Allocation.slot <= last).order_by(Allocation.slot))
    spans, cursor = [], first
    for slot in taken:
        if slot > cursor:
            spans.append((cursor, slot - 1))
        cursor = slot + 1
    if cursor <= last:
        spans.append((cursor, last))
    if spans:
        session.execute(insert(FreeRange), [
            {"tenant_id": pool.tenant_id, "pool_id": pool.id, "start_slot": s, "end_slot": e}
            for s, e in spans])
    return len(spans)


def spans(session: Session, pool: Pool) -> list[Span]:
    rows = session.execute(select(FreeRange.start_slot, FreeRange.end_slot)
                           .where(*_where(pool)).order_by(FreeRange.start_slot))
    return [Span(s, e) for s, e in rows]
