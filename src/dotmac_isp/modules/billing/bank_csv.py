"""Reading a bank statement CSV through a column mapping. A file that cannot be read whole is
refused with the line at fault, so nothing of it is stored."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from dotmac_isp.shared.errors import ValidationFailed
from dotmac_isp.shared.money import is_currency_code, round_money

MAX_BYTES = 5 * 1024 * 1024
MAX_LINES = 20_000
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
# strptime directives a booking date may use (the locale- and week-based ones are left out)
DATE_DIRECTIVES = frozenset("YymbBdjaAHIMSfpzZ")
_DIRECTIVE = re.compile(r"%(.?)", re.DOTALL)


class BadStatement(ValidationFailed):
    """The statement file cannot be read with this mapping."""


@dataclass(frozen=True)
class ColumnMapping:
    """Which CSV columns (by header name) hold the booking date, amount and reference."""

    date_column: str
    amount_column: str
    reference_column: str
    date_format: str = "%Y-%m-%d"
    currency_column: str | None = None
    currency: str | None = None  # of every line when there is no currency column
    decimal_comma: bool = False  # 1.234,56 rather than 1,234.56
    delimiter: str = ","

    def __post_init__(self) -> None:
        check_date_format(self.date_format)


def check_date_format(fmt: str) -> None:
    """A strptime format of known directives, each at most once, naming year, month and day."""
    used = [d for d in _DIRECTIVE.findall(fmt) if d != "%"]
    unknown = sorted({d for d in used if d not in DATE_DIRECTIVES}, key=used.index)
    if unknown:
        shown = ", ".join(f"%{d}" if d else "a lone %" for d in unknown)
        raise BadStatement(f"date format {fmt!r}: {shown} is not a date directive; use "
                           f"{' '.join('%' + d for d in sorted(DATE_DIRECTIVES))}")
    twice = sorted({d for d in used if used.count(d) > 1})
    if twice:
        raise BadStatement(f"date format {fmt!r}: "
                           f"{', '.join('%' + d for d in twice)} may appear only once")
    has = set(used)
    if not (has & {"Y", "y"} and ((has & {"m", "b", "B"} and "d" in has) or "j" in has)):
        raise BadStatement(f"date format {fmt!r} must name the year (%Y or %y), the month "
                           "(%m, %b or %B) and the day (%d), such as %d.%m.%Y")


@dataclass(frozen=True)
class StatementLine:
    line_number: int
    booked_date: date
    amount: Decimal
    currency: str
    reference: str
    fingerprint: str


def parse_amount(text: str, decimal_comma: bool) -> Decimal:
    """A bank's amount: thousands separators, (12.00) or 12.00- for money out."""
    raw = re.sub(r"[\s\u00a0']", "", text)
    negative = False
    if raw.startswith("(") and raw.endswith(")"):
        negative, raw = True, raw[1:-1]
    elif raw.endswith("-"):
        negative, raw = True, raw[:-1]
    raw = raw.replace(".", "").replace(",", ".") if decimal_comma else raw.replace(",", "")
    if not _NUMBER.fullmatch(raw):
        raise ValueError(f"{text.strip()!r} is not an amount")
    value = Decimal(raw)
    if round_money(value) != value:
        raise ValueError(f"{text.strip()!r} has more than two decimal places")
    return -value if negative else value


def _decode(content: bytes) -> str:
    if len(content) > MAX_BYTES:
        raise BadStatement(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB; "
                           f"split the statement")
    if b"\x00" in content:
        raise BadStatement("this is not a CSV text file")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("latin-1")  # the usual alternative of bank exports


def _check_mapping(mapping: ColumnMapping, header: list[str]) -> None:
    if len(mapping.delimiter) != 1 or mapping.delimiter in "\"\r\n":
        raise BadStatement("the delimiter must be one character such as , or ;")
    if mapping.currency and not is_currency_code(mapping.currency):
        raise BadStatement("currency must be a three-letter code such as USD")
    wanted = [mapping.date_column, mapping.amount_column, mapping.reference_column]
    if mapping.currency_column:
        wanted.append(mapping.currency_column)
    missing = [c for c in wanted if c not in header]
    if missing:
        raise BadStatement(f"the file has no column {', '.join(repr(c) for c in missing)}; "
                           f"its columns are {', '.join(repr(c) for c in header)}")


def fingerprint(booked: date, amount: Decimal, currency: str, reference: str,
                occurrence: int) -> str:
    """The same booking gets the same fingerprint whichever file it arrives in; two equal
    bookings in one file are told apart by their order."""
    text = f"{booked.isoformat()}|{round_money(amount)}|{currency}|" \
           f"{' '.join(reference.upper().split())}|{occurrence}"
    return hashlib.sha256(text.encode()).hexdigest()


def read_statement(content: bytes, mapping: ColumnMapping,
                   default_currency: str) -> list[StatementLine]:
    """Every booking of the file, or BadStatement naming the first line that cannot be read."""
    text = _decode(content)
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=mapping.delimiter)
        header = [h.strip() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise BadStatement(f"line 1: {exc}") from None
    except TypeError:
        raise BadStatement("the delimiter must be one character such as , or ;") from None
    if not header:
        raise BadStatement("the file is empty; it needs a header line naming the columns")
    _check_mapping(mapping, header)
    reader.fieldnames = header
    lines: list[StatementLine] = []
    seen: Counter[tuple[date, Decimal, str, str]] = Counter()
    try:
        for row in reader:
            if len(lines) >= MAX_LINES:
                raise BadStatement(f"more than {MAX_LINES} lines; split the statement")
            if not any((v or "").strip() for k, v in row.items() if k is not None):
                continue  # blank line
            number = reader.line_num
            booked, amount, currency = _fields(row, mapping, default_currency, number)
            reference = " ".join((row.get(mapping.reference_column) or "").split())[:300]
            key = (booked, amount, currency, reference.upper())
            seen[key] += 1
            lines.append(StatementLine(number, booked, amount, currency, reference,
                                       fingerprint(booked, amount, currency, reference,
                                                   seen[key])))
    except csv.Error as exc:
        raise BadStatement(f"line {reader.line_num}: {exc}") from None
    if not lines:
        raise BadStatement("the file has a header but no bookings")
    return lines


def _fields(row: dict[str | None, str | None], mapping: ColumnMapping, default_currency: str,
            number: int) -> tuple[date, Decimal, str]:
    def value(column: str) -> str:
        raw = row.get(column)
        if raw is None or not raw.strip():
            raise BadStatement(f"line {number}: no value in column {column!r}")
        return raw.strip()

    try:
        booked = datetime.strptime(value(mapping.date_column), mapping.date_format).date()
    except ValueError:
        raise BadStatement(f"line {number}: {value(mapping.date_column)!r} is not a date "
                           f"in the format {mapping.date_format}") from None
    try:
        amount = parse_amount(value(mapping.amount_column), mapping.decimal_comma)
    except (ValueError, InvalidOperation) as exc:
        raise BadStatement(f"line {number}: {exc}") from None
    currency = mapping.currency or default_currency
    if mapping.currency_column:
        currency = value(mapping.currency_column).upper()
        if not is_currency_code(currency):
            raise BadStatement(f"line {number}: {currency!r} is not a currency code")
    return booked, amount, currency
