"""Console list pages by key, for any whitelisted sort: the page after (or before) the row a
cursor names, ordered by (sort key, id), so page 500 costs what page 1 costs.

NULLs sort as the largest value (last going up, first going down), the order a PostgreSQL
b-tree index gives, so both directions read an index. A sort by a small dimension (a plan's
name, a ticket's priority) walks its values in order, each a range of an index on (value, id),
instead of sorting the rows of a join. A cursor that is not ours, or that belongs to another
sort, shows the first page: a list never fails on its URL.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, tuple_
from sqlalchemy.orm import Session
from sqlalchemy.sql.sqltypes import NullType

from dotmac_isp.shared.listing import SortOrder, direction, nullable
from dotmac_isp.shared.pagination import Page

MAX_CURSOR = 512
# Dimension values walked one query each before the rest are read in one sorted query.
MAX_WALK = 12


@dataclass(frozen=True)
class Walk:
    """A sort by a small dimension: `column` holds the dimension's value on each row, `steps`
    are (value, sort label) in ascending order of the label, labels unique."""

    column: Any
    steps: Sequence[tuple[Any, Any]]


@dataclass(frozen=True)
class Boundary:
    value: Any
    tie: Any
    backwards: bool


def _tagged(value: Any) -> list[Any]:
    if value is None:
        return ["n", None]
    if isinstance(value, bool):
        raise TypeError(value)
    if isinstance(value, datetime):
        return ["t", value.isoformat()]
    if isinstance(value, date):
        return ["D", value.isoformat()]
    if isinstance(value, Decimal):
        return ["d", str(value)]
    if isinstance(value, int):
        return ["i", value]
    return ["s", str(value)]


def _untagged(item: Any) -> Any:
    tag, raw = item
    if tag == "n":
        return None
    if tag == "t":
        parsed = datetime.fromisoformat(raw)
        if parsed.tzinfo is None:
            raise ValueError(raw)
        return parsed
    if tag == "D":
        return date.fromisoformat(raw)
    if tag == "d":
        return Decimal(raw)
    if tag == "i" and isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if tag == "s" and isinstance(raw, str):
        return raw
    raise ValueError(item)


def _python_type(expr: Any) -> type | None:
    try:
        kind = expr.type.python_type
    except (NotImplementedError, AttributeError):
        return None
    return kind if isinstance(kind, type) else None


def encode_cursor(order: SortOrder, value: Any, tie: Any, way: str) -> str:
    data = {"s": order.param, "d": way, "v": _tagged(value), "i": str(tie)}
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, order: SortOrder, key: Any, tie: Any) -> Boundary | None:
    """The row a cursor names, or None when it is missing, damaged or of another sort."""
    if not cursor or len(cursor) > MAX_CURSOR:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if data["s"] != order.param or data["d"] not in ("n", "p"):
            return None
        value = _untagged(data["v"])
        kind = _python_type(key)
        if value is not None and kind is not None and not isinstance(value, kind):
            return None
        tie_value: Any = data["i"]
        if _python_type(tie) is uuid.UUID:
            tie_value = uuid.UUID(tie_value)
        elif _python_type(tie) is int:
            tie_value = int(tie_value)
        return Boundary(value, tie_value, data["d"] == "p")
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError,
            InvalidOperation):
        return None


def _bound(expr: Any, value: Any) -> Any:
    if isinstance(expr.type, NullType):
        return bindparam(None, value)
    return bindparam(None, value, type_=expr.type)


def _segments(key: Any, tie: Any, descending: bool, at: Boundary | None
              ) -> list[tuple[ColumnElement[bool] | None, list[Any]]]:
    """(condition, order) pairs read in turn until the page is full."""
    nulls = nullable(key)
    both = [direction(key, descending, nulls), direction(tie, descending)]
    if at is None:
        return [(None, both)]
    pair = tuple_(key, tie)
    bound = tuple_(_bound(key, at.value), _bound(tie, at.tie))
    after = pair < bound if descending else pair > bound
    by_id = [direction(tie, descending, False)]
    tie_after = tie < _bound(tie, at.tie) if descending else tie > _bound(tie, at.tie)
    if not nulls or (at.value is not None and descending):
        return [(after, both)]
    if not descending:  # NULLs come last going up
        if at.value is None:
            return [(and_(key.is_(None), tie_after), by_id)]
        return [(after, both), (key.is_(None), by_id)]
    return [(and_(key.is_(None), tie_after), by_id), (key.is_not(None), both)]


def _walked(session: Session, stmt: Select[Any], key: Any, tie: Any, walk: Walk,
            descending: bool, at: Boundary | None, need: int) -> list[Any] | None:
    steps = list(reversed(walk.steps)) if descending else list(walk.steps)
    start = 0
    if at is not None:
        labels = [label for _value, label in steps]
        if at.value not in labels:
            return None  # the dimension changed (a plan renamed): start again
        start = labels.index(at.value)
    by_id = [direction(tie, descending, False)]
    rows: list[Any] = []
    rest = steps[start:]
    for n, (value, _label) in enumerate(rest[:MAX_WALK]):
        query = stmt.where(walk.column == value)
        if n == 0 and at is not None:
            bound = _bound(tie, at.tie)
            query = query.where(tie < bound if descending else tie > bound)
        rows += session.execute(query.order_by(*by_id).limit(need - len(rows))).unique().all()
        if len(rows) >= need:
            return rows
    if len(rest) > MAX_WALK:
        query = stmt.where(walk.column.in_([v for v, _label in rest[MAX_WALK:]]))
        order = [direction(key, descending, False), *by_id]
        rows += session.execute(query.order_by(*order).limit(need - len(rows))).unique().all()
    return rows


def keyset_page(session: Session, stmt: Select[Any], *, key: Any, tie: Any, order: SortOrder,
                limit: int, cursor: str = "", walk: Walk | None = None) -> Page[Any]:
    """One page of the statement's rows in (key, tie) order, after or before the cursor's
    row; has_more and the cursors say where the neighbours are, nothing is counted."""
    at = decode_cursor(cursor, order, key, tie)
    backwards = bool(at and at.backwards)
    descending = order.descending != backwards
    base = stmt.order_by(None).add_columns(key.label("list_sort_key"), tie.label("list_tie"))
    need = limit + 1
    rows: list[Any] | None = None
    if walk is not None:
        rows = _walked(session, base, key, tie, walk, descending, at, need)
        if rows is None:
            at, backwards, descending = None, False, order.descending
            rows = _walked(session, base, key, tie, walk, descending, None, need)
    else:
        rows = []
        for condition, by in _segments(key, tie, descending, at):
            query = base if condition is None else base.where(condition)
            rows += session.execute(query.order_by(*by).limit(need - len(rows))).unique().all()
            if len(rows) >= need:
                break
    assert rows is not None
    more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    has_next = True if backwards else more
    has_prev = more if backwards else at is not None
    first, last = (rows[0], rows[-1]) if rows else (None, None)
    return Page(
        items=[r[0] for r in rows], total=None, limit=limit, offset=0, has_more=has_next,
        next_cursor=encode_cursor(order, last[-2], last[-1], "n") if has_next and last else None,
        prev_cursor=encode_cursor(order, first[-2], first[-1], "p") if has_prev and first
        else None)
