"""Paging by key: a page of rows after (or before) the last row seen, without COUNT(*).

The order is a list of columns that together are unique (a time and the primary key), all
in one direction. The cursor carries the key of the row the next page starts after, so a
page costs the same on the first page and the millionth, and rows arriving meanwhile do not
shift what the reader sees.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, TypeDecorator, bindparam, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from dotmac_isp.shared.errors import ValidationFailed
from dotmac_isp.shared.pagination import MAX_OFFSET, OFFSET_TOO_LARGE, Page, PageParams

BAD_CURSOR = "cursor is not valid for this list; start again from the first page"


class KeyOrder:
    """Columns a list is ordered by, newest (descending) or oldest (ascending) first."""

    def __init__(self, *columns: InstrumentedAttribute[Any], descending: bool = True):
        self.columns = columns
        self.descending = descending

    def order_by(self, descending: bool) -> list[Any]:
        return [c.desc() if descending else c.asc() for c in self.columns]

    def values_of(self, row: Any) -> list[Any]:
        return [getattr(row, c.key) for c in self.columns]


def encode_cursor(values: Sequence[Any], direction: str) -> str:
    plain = [
        v.isoformat() if isinstance(v, datetime) else str(v) if isinstance(v, uuid.UUID) else v
        for v in values
    ]
    raw = json.dumps({"k": plain, "d": direction}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, order: KeyOrder) -> tuple[list[Any], bool]:
    """The key values and whether the cursor pages backwards; a 422 if it is not ours."""
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        raw, direction = data["k"], data["d"]
        if direction not in ("n", "p") or len(raw) != len(order.columns):
            raise ValueError(direction)
        return [_typed(v, c) for v, c in zip(raw, order.columns, strict=True)], direction == "p"
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationFailed(BAD_CURSOR) from exc


def _typed(value: Any, column: InstrumentedAttribute[Any]) -> Any:
    sql_type = column.type
    if isinstance(sql_type, TypeDecorator):
        sql_type = sql_type.impl_instance
    kind = sql_type.python_type
    if kind is datetime:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError(value)
        return parsed
    if kind is uuid.UUID:
        return uuid.UUID(value)
    if kind is int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(value)
        return value
    if not isinstance(value, str):
        raise ValueError(value)
    return value


def paginate_keyset(
    session: Session, stmt: Select[Any], params: PageParams, order: KeyOrder
) -> Page[Any]:
    """One page in key order; has_more and the cursors say where the neighbours are."""
    backwards = False
    if params.cursor:
        values, backwards = decode_cursor(params.cursor, order)
        row_key = tuple_(*order.columns)
        bound = tuple_(
            *[bindparam(None, v, type_=c.type) for v, c in zip(values, order.columns, strict=True)]
        )
        earlier = order.descending != backwards
        stmt = stmt.where(row_key < bound if earlier else row_key > bound)
    elif params.offset > MAX_OFFSET:
        raise ValidationFailed(OFFSET_TOO_LARGE)
    stmt = stmt.order_by(None).order_by(*order.order_by(order.descending != backwards))
    if not params.cursor and params.offset:
        stmt = stmt.offset(params.offset)
    rows = list(session.scalars(stmt.limit(params.limit + 1)))
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    if backwards:
        rows.reverse()
    has_next = True if backwards else more
    has_prev = more if backwards else bool(params.cursor or params.offset)
    return Page(
        items=rows,
        total=None,
        limit=params.limit,
        offset=0 if params.cursor else params.offset,
        has_more=has_next,
        next_cursor=encode_cursor(order.values_of(rows[-1]), "n") if has_next and rows else None,
        prev_cursor=encode_cursor(order.values_of(rows[0]), "p") if has_prev and rows else None,
    )
