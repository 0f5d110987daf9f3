"""CSV cells a spreadsheet could run as formulas are shown as text instead."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dotmac_isp.shared.spreadsheet import restore_cell, safe_cell, safe_row


@pytest.mark.parametrize("value", [
    "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "+(1+1)*cmd|' /C calc'!A0",
    "=HYPERLINK(\"http://evil\")", "@SUM(A1)", "\t=1+1", "\r=1+1", "+234 803 000 1111",
    "-1e3", "--1", "-12.50 ", "+12",
])
def test_a_cell_that_could_be_a_formula_is_quoted_and_restored(value: str) -> None:
    assert safe_cell(value) == "'" + value
    assert restore_cell(safe_cell(value)) == value


@pytest.mark.parametrize("value", ["-12.50", "-7", "12.50", "0", "Ada", "", "'quoted",
                                   "a=b", "x-1"])
def test_plain_values_and_negative_numbers_stay_as_they_are(value: str) -> None:
    assert safe_cell(value) == value
    assert restore_cell(value) == value


def test_a_row_of_any_values() -> None:
    assert safe_row([Decimal("-12.50"), None, 3, "=1", True]) == ["-12.50", "", "3", "'=1",
                                                                    "True"]
