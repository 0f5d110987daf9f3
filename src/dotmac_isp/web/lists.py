"""What a console list keeps in its URL (filters, sort, page size, the cursor of the page),
the links that keep it, and the CSV export of exactly what the filters show."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import StreamingResponse

from dotmac_isp.shared.list_pages import MAX_CURSOR
from dotmac_isp.shared.listing import SortOrder
from dotmac_isp.shared.spreadsheet import safe_row

PAGE_SIZES = (25, 50, 100, 200)
MAX_FILTER = 200
MAX_BULK = 500


@dataclass(frozen=True)
class ListView:
    """The list's address, its sortable columns (key -> label), its default sort and the
    names of the filters it reads from the URL."""

    base: str
    columns: Mapping[str, str]
    default_sort: str
    filters: Sequence[str] = ()
    defaults: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ListState:
    """One request's view of a list; every link it builds keeps the filters."""

    view: ListView
    sort: SortOrder
    size: int
    cursor: str
    filters: Mapping[str, str]

    def params(self, **changes: object) -> dict[str, str]:
        """The query parameters of this list (empty filters left out), with changes."""
        values: dict[str, object] = {**self.filters, "sort": self.sort.param,
                                     "size": self.size, "cursor": self.cursor, **changes}
        if values.get("sort") == self.view.default_sort:
            values.pop("sort")
        if values.get("size") == PAGE_SIZES[0]:
            values.pop("size")
        if not values.get("cursor"):
            values.pop("cursor", None)
        defaults = self.view.defaults
        # A filter left at its default stays out of the URL; one cleared from a non-empty
        # default ("any status" where the default is "active") stays in, empty.
        return {k: str(v) for k, v in values.items()
                if (v not in ("", None) and v != defaults.get(k)) or
                (v == "" and defaults.get(k))}

    def url(self, path: str = "", **changes: object) -> str:
        query = urlencode(self.params(**changes))
        return f"{self.view.base}{path}" + (f"?{query}" if query else "")

    def sort_url(self, key: str) -> str:
        """Sort by this column; a second click on the sorted column reverses it."""
        descending = not self.sort.descending if key == self.sort.key else False
        return self.url(sort=f"-{key}" if descending else key, cursor="")

    def sort_mark(self, key: str) -> str:
        if key != self.sort.key:
            return ""
        return "descending" if self.sort.descending else "ascending"

    @property
    def sizes(self) -> tuple[int, ...]:
        return PAGE_SIZES

    def page_url(self, cursor: str | None) -> str:
        """The page a cursor of the current page points at (None: the first page)."""
        return self.url(cursor=cursor or "")

    def size_url(self, size: int) -> str:
        return self.url(size=size, cursor="")

    def export_url(self) -> str:
        return self.url("/export.csv", cursor="", size=PAGE_SIZES[0])

    @property
    def hidden_fields(self) -> dict[str, str]:
        """The state as hidden form fields, for forms that must not lose it."""
        return {k: v for k, v in self.params(cursor="").items() if k not in self.view.filters}

    def with_filters(self, **filters: str) -> ListState:
        return replace(self, filters={**self.filters, **filters})


def read_state(request: Request, view: ListView) -> ListState:
    """The list state from the URL; a bad sort, size or cursor falls back, never fails."""
    query = request.query_params
    sort = SortOrder.parse(query.get("sort", ""), view.columns, view.default_sort)
    try:
        size = int(query.get("size", ""))
    except ValueError:
        size = PAGE_SIZES[0]
    filters = {name: query.get(name, view.defaults.get(name, "")).strip()[:MAX_FILTER]
               for name in view.filters}
    return ListState(view=view, sort=sort, size=size if size in PAGE_SIZES else PAGE_SIZES[0],
                     cursor=query.get("cursor", "").strip()[:MAX_CURSOR], filters=filters)


def day(raw: str) -> date | None:
    """A YYYY-MM-DD filter from the URL; anything else is no filter."""
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def day_span(first: str, last: str, timezone: str) -> tuple[datetime, datetime] | None:
    """The instants from the start of the first day to the end of the last, both in the
    tenant's time zone; one side missing is open; None when neither is a date."""
    start, end = day(first), day(last)
    if start is None and end is None:
        return None
    zone = ZoneInfo(timezone)
    begin = datetime.combine(start or date(1900, 1, 1), time(), zone)
    until = datetime.combine((end or date(9999, 12, 30)) + timedelta(days=1), time(), zone)
    return begin.astimezone(UTC), until.astimezone(UTC)


def chosen_ids(values: Iterable[str]) -> list[uuid.UUID]:
    """The row ids ticked on a list; anything that is not an id is ignored."""
    found: list[uuid.UUID] = []
    for value in values:
        try:
            row_id = uuid.UUID(str(value))
        except ValueError:
            continue
        if row_id not in found:
            found.append(row_id)
    return found[:MAX_BULK]


def csv_lines(header: Sequence[str], rows: Iterable[Any],
              cells: Callable[[Any], Sequence[object]]) -> Iterator[str]:
    """CSV text, header first, a chunk per row; cells that a spreadsheet would run as a
    formula are quoted."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(safe_row(header))
    for row in rows:
        writer.writerow(safe_row("" if v is None else v for v in cells(row)))
        if buffer.tell() > 16_384:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate(0)
    yield buffer.getvalue()


def csv_response(lines: Iterator[str], filename: str) -> StreamingResponse:
    return StreamingResponse(lines, media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def back_to(view: ListView, raw: object) -> str:
    """Where to return after a bulk action: the list as it was, never another site."""
    text = str(raw or "")
    if text == view.base or text.startswith(f"{view.base}?"):
        return text
    return view.base
