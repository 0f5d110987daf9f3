"""Cells of the CSV files we export: a spreadsheet must show them as text, never run them.

Excel, LibreOffice and Google Sheets evaluate a cell that starts with =, +, - or @ (and strip
a leading tab or carriage return before looking), so `+1+cmd|' /C calc'!A0` in a customer's
name would run when the export is opened. Such a cell gets a leading apostrophe, which the
spreadsheet shows as text (OWASP's CSV injection advice). A plain negative number such as
-12.50 is no formula and stays a number. Our own CSV import takes the apostrophe off again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def safe_cell(value: object) -> str:
    """The value as CSV cell text that a spreadsheet will not evaluate."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return f"'{text}"
    return text


def safe_row(values: Iterable[object]) -> list[str]:
    """A row for csv.writer.writerow(): every cell through safe_cell()."""
    return [safe_cell(value) for value in values]


def restore_cell(text: str) -> str:
    """Undo safe_cell() on a cell read back from one of our exports."""
    return text[1:] if text[:1] == "'" and text[1:2] in FORMULA_STARTS else text
