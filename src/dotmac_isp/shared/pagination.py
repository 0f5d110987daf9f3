"""Pagination: limit/offset query parameters and the page envelope every list returns."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

T = TypeVar("T")
U = TypeVar("U")

MAX_LIMIT = 200


class PageParams(BaseModel):
    limit: int = 50
    offset: int = 0


def page_params(
    limit: int = Query(50, ge=1, le=MAX_LIMIT, description="Rows per page"),
    offset: int = Query(0, ge=0, le=10_000_000, description="Rows to skip"),
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


class Page(BaseModel, Generic[T]):
    items: Sequence[T]
    total: int
    limit: int
    offset: int

    model_config = {"arbitrary_types_allowed": True}

    def map(self, fn: Callable[[Any], U]) -> Page[U]:
        return Page[U](items=[fn(i) for i in self.items], total=self.total, limit=self.limit,
                       offset=self.offset)
