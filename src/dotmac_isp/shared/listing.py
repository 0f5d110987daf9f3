"""Sorted, filtered lists for the console: a whitelist of sort keys, a stable tie-break by id,
capped offset pages that say whether there is more (no COUNT), and a chunked stream of every
matching row for exports."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

from dotmac_isp.shared.pagination import MAX_OFFSET, Page

EXPORT_CHUNK = 500


@dataclass(frozen=True)
class SortOrder:
    """Which whitelisted key a list is sorted by, and which way."""

    key: str
    descending: bool = False

    @classmethod
    def parse(cls, raw: str, allowed: Mapping[str, Any], default: str) -> SortOrder:
        """'-number' sorts by number descending; an unknown key falls back to the default."""
        text = (raw or "").strip()
        key = text.lstrip("-")
        if key not in allowed:
            text, key = default, default.lstrip("-")
        return cls(key=key, descending=text.startswith("-"))

    @property
    def param(self) -> str:
        return f"-{self.key}" if self.descending else self.key


def ordered(stmt: Select[Any], sorts: Mapping[str, Any], order: SortOrder,
            tie: Any) -> Select[Any]:
    """The statement ordered by the chosen key, then by id the same way, so equal keys
    always come out in one order and pages neither repeat nor skip rows."""
    column = sorts[order.key]
    direction = (lambda c: c.desc()) if order.descending else (lambda c: c.asc())
    return stmt.order_by(None).order_by(direction(column), direction(tie))


def sorted_page(session: Session, stmt: Select[Any], *, limit: int, offset: int) -> Page[Any]:
    """One page of an ordered statement; the offset is capped and nothing is counted."""
    offset = min(max(offset, 0), MAX_OFFSET)
    rows = list(session.scalars(stmt.limit(limit + 1).offset(offset)).unique())
    return Page(items=rows[:limit], total=None, limit=limit, offset=offset,
                has_more=len(rows) > limit)


def stream_rows(session: Session, stmt: Select[Any]) -> Iterator[Any]:
    """Every row of an ordered statement, fetched in chunks from a server-side cursor."""
    yield from session.scalars(stmt.execution_options(yield_per=EXPORT_CHUNK))
