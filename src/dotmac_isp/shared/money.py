"""Money: Decimal amounts with an explicit currency, rounded half-up to the cent."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated

from pydantic import AfterValidator, PlainSerializer
from sqlalchemy import Numeric

CENT = Decimal("0.01")
# Stored with four places so unit prices and tax rates survive; totals are rounded to cents.
MoneyColumn = Numeric(18, 4)


def to_decimal(value: Decimal | int | str) -> Decimal:
    """Parse a money amount exactly; floats are refused because they are not exact."""
    if isinstance(value, float):
        raise TypeError("money must not be a float; pass a Decimal, int or string")
    try:
        result = Decimal(value)
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not a valid amount: {value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    return result


def round_money(value: Decimal | int | str) -> Decimal:
    """Round to the cent, half up (0.005 -> 0.01)."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def is_currency_code(code: str) -> bool:
    return len(code) == 3 and code.isascii() and code.isalpha() and code.isupper()


def _check_currency(code: str) -> str:
    code = code.strip().upper()
    if not is_currency_code(code):
        raise ValueError("currency must be a three-letter ISO 4217 code, e.g. USD")
    return code


CurrencyCode = Annotated[str, AfterValidator(_check_currency)]
def format_amount(value: Decimal) -> str:
    """At least two decimals, at most four, the same whichever database returned it:
    49.9 -> '49.90', 49.9000 -> '49.90', 0.12345 -> '0.1235'."""
    text = f"{to_decimal(value).quantize(Decimal('0.0001'), rounding=ROUND_HALF_UP):.4f}"
    while text.endswith("0") and len(text.split(".")[1]) > 2:
        text = text[:-1]
    return text


# Amounts in API bodies are strings in JSON so no client ever rounds them through a float.
MoneyAmount = Annotated[Decimal, PlainSerializer(format_amount, return_type=str)]
