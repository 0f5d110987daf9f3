"""Sorted, filtered lists for the console: a whitelist of sort keys, a stable tie-break by id,
one NULL order on every database, and a chunked stream of every matching row for exports.
Pages are read by key (shared/list_pages.py)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

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


def nullable(key: Any) -> bool:
    """Whether a sort key is a column that may be NULL."""
    try:
        return bool(key.property.columns[0].nullable)
    except (AttributeError, IndexError):
        return False


def direction(expr: Any, descending: bool, nulls: bool = False) -> Any:
    """The ORDER BY term; NULLs sort as the largest value (last going up, first going down),
    the order of a PostgreSQL b-tree index, on SQLite too."""
    if not nulls:
        return expr.desc() if descending else expr.asc()
    return expr.desc().nulls_first() if descending else expr.asc().nulls_last()


def ordered(stmt: Select[Any], sorts: Mapping[str, Any], order: SortOrder,
            tie: Any) -> Select[Any]:
    """The statement ordered by the chosen key, then by id the same way, so equal keys
    always come out in one order and pages neither repeat nor skip rows."""
    column = sorts[order.key]
    return stmt.order_by(None).order_by(direction(column, order.descending, nullable(column)),
                                        direction(tie, order.descending))


def stream_rows(session: Session, stmt: Select[Any]) -> Iterator[Any]:
    """Every row of an ordered statement, fetched in chunks from a server-side cursor."""
    yield from session.scalars(stmt.execution_options(yield_per=EXPORT_CHUNK))
