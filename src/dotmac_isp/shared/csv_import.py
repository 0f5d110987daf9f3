"""What every CSV import shares: reading an upload within a size limit, checking the header,
numbering the lines, and a per-line report (ok, duplicate or error with its messages)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field, ValidationError
from starlette.datastructures import UploadFile
from starlette.requests import Request

from dotmac_isp.shared.errors import ValidationFailed

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
_READ_CHUNK = 1024 * 1024


class LineStatus(StrEnum):
    OK = "ok"  # stored (or, in a dry run, would be)
    DUPLICATE = "duplicate"  # an earlier import already stored it; nothing changed
    ERROR = "error"  # not stored; the messages say why


class LineReport(BaseModel):
    line: int = Field(description="line number in the file (the header is line 1)")
    status: LineStatus
    key: str = Field("", description="what the line is about (username, reference)")
    messages: list[str] = Field(default_factory=list)


class ImportReport(BaseModel):
    dry_run: bool
    created: int = Field(description="rows stored by this import (0 in a dry run)")
    ok: int = Field(description="good lines (stored, or would be in a dry run)")
    duplicates: int = Field(description="lines an earlier import already stored")
    failed: int = Field(description="lines with errors; they store nothing")
    lines: list[LineReport]


def build_report(lines: list[LineReport], *, dry_run: bool) -> ImportReport:
    lines.sort(key=lambda r: r.line)
    ok = sum(1 for r in lines if r.status == LineStatus.OK)
    return ImportReport(
        dry_run=dry_run, created=0 if dry_run else ok, ok=ok,
        duplicates=sum(1 for r in lines if r.status == LineStatus.DUPLICATE),
        failed=sum(1 for r in lines if r.status == LineStatus.ERROR), lines=lines)


def decode(raw: bytes, limit: int = MAX_UPLOAD_BYTES) -> str:
    if len(raw) > limit:
        raise ValidationFailed(f"the file is larger than {limit // 1024 // 1024} MB")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed("the file is not UTF-8 text") from exc


async def read_upload(request: Request, limit: int = MAX_UPLOAD_BYTES) -> str:
    """The CSV text of a request: a multipart form's "file" field, or the body itself
    (text/csv). Anything over `limit` bytes is refused before it is all read."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise ValidationFailed(f"the file is larger than {limit // 1024 // 1024} MB")
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=5)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ValidationFailed('send the CSV as the form field "file"')
        raw = await upload.read(limit + 1)
        return decode(raw, limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ValidationFailed(f"the file is larger than {limit // 1024 // 1024} MB")
        chunks.append(chunk)
    return decode(b"".join(chunks), limit)


def records(text: str, columns: list[str], required: list[str]
            ) -> Iterator[tuple[int, dict[str, str] | None]]:
    """(line number, row) for each data line; the row is None when the line has more values
    than the header has columns. Cell values are stripped."""
    reader = csv.DictReader(io.StringIO(text))
    header = [c.strip() for c in (reader.fieldnames or [])]
    if not header:
        raise ValidationFailed("the file is empty; the first line must name the columns")
    unknown = [c for c in header if c not in columns]
    if unknown:
        raise ValidationFailed(f"unknown column(s): {', '.join(unknown)}; allowed: "
                               f"{', '.join(columns)}")
    missing = [c for c in required if c not in header]
    if missing:
        raise ValidationFailed(f"missing column(s): {', '.join(missing)}")
    if len(set(header)) != len(header):
        raise ValidationFailed("a column name appears twice in the header")
    reader.fieldnames = header
    start = reader.line_num + 1
    for count, row in enumerate(reader, 1):
        if count > MAX_ROWS:
            raise ValidationFailed(f"at most {MAX_ROWS} rows per import")
        if None in row:
            yield start, None
        else:
            yield start, {k: (v or "").strip() for k, v in row.items()}
        start = reader.line_num + 1


def complete_records(text: str, columns: list[str], required: list[str],
                     reports: list[LineReport]) -> Iterator[tuple[int, dict[str, str]]]:
    """The records of `records`; a line with more values than columns is reported as an
    error in `reports` and left out."""
    for line, row in records(text, columns, required):
        if row is None:
            reports.append(LineReport(line=line, status=LineStatus.ERROR,
                                      messages=["more values than columns"]))
        else:
            yield line, row


def parse_date(value: str, column: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{column}: {value!r} is not a date (YYYY-MM-DD)") from None


def messages(exc: Exception) -> list[str]:
    if isinstance(exc, ValidationError):
        out = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "__root__")
            msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
            out.append(f"{where}: {msg}" if where else msg)
        return out
    return [str(exc)]
