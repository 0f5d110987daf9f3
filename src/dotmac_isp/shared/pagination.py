"""Pagination: the page parameters and the page envelope every list returns.

Two ways to page. Small tables page by offset and report a total. Big tables (accounting,
post-auth, audit) page by key: the page says whether there is more and hands out a cursor
for the next and previous page, and never counts the table. Offsets are capped everywhere,
because an offset is read and thrown away row by row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, model_validator

from dotmac_isp.shared.errors import ValidationFailed

T = TypeVar("T")
U = TypeVar("U")

MAX_LIMIT = 200
MAX_OFFSET = 10_000
OFFSET_TOO_LARGE = (
    f"offset may be at most {MAX_OFFSET}; to go further, page with the "
    "cursor: pass the page's next_cursor as ?cursor="
)


class PageParams(BaseModel):
    limit: int = 50
    offset: int = 0
    cursor: str | None = None


def check_offset(offset: int) -> int:
    if offset > MAX_OFFSET:
        raise ValidationFailed(OFFSET_TOO_LARGE)
    return offset


def page_params(
    limit: int = Query(50, ge=1, le=MAX_LIMIT, description="Rows per page"),
    offset: int = Query(0, ge=0, description=f"Rows to skip (at most {MAX_OFFSET})"),
    cursor: str | None = Query(
        None,
        max_length=512,
        description="next_cursor or prev_cursor of a page; pages by key instead of offset",
    ),
) -> PageParams:
    return PageParams(limit=limit, offset=check_offset(offset), cursor=cursor or None)


def web_page_params(limit: int, offset: int = 0, cursor: str = "") -> PageParams:
    """Page parameters for an HTML page: a negative or huge offset is clamped, not refused."""
    return PageParams(
        limit=limit, offset=min(max(offset, 0), MAX_OFFSET), cursor=cursor.strip() or None
    )


class Page(BaseModel, Generic[T]):
    items: Sequence[T]
    total: int | None = None
    limit: int
    offset: int
    has_more: bool = False
    next_cursor: str | None = None
    prev_cursor: str | None = None

    model_config = {"arbitrary_types_allowed": True}

    @model_validator(mode="before")
    @classmethod
    def _more_from_total(cls, data: Any) -> Any:
        if isinstance(data, dict) and "has_more" not in data and data.get("total") is not None:
            data = {**data, "has_more": data["offset"] + len(data["items"]) < data["total"]}
        return data

    def map(self, fn: Callable[[Any], U]) -> Page[U]:
        return Page[U](
            items=[fn(i) for i in self.items],
            total=self.total,
            limit=self.limit,
            offset=self.offset,
            has_more=self.has_more,
            next_cursor=self.next_cursor,
            prev_cursor=self.prev_cursor,
        )
