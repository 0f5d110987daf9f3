"""Money: Decimal amounts with an explicit currency, rounded half-up to the cent."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, PlainSerializer
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


# Minor units of the currencies that do not have two (ISO 4217); amounts are kept to the cent,
# so a currency with three is still entered with at most two.
_PLACES = {"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
           "PYG": 0, "RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0}
# ASCII digits only: \d would also take other scripts' digits, which Decimal() accepts.
_PLAIN = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_GROUPED = re.compile(r"-?[0-9]{1,3}(?:,[0-9]{3})+\.[0-9]+")  # 1,000.00


def currency_places(currency: str | None) -> int:
    """How many decimals an amount in this currency may have (at most two)."""
    return _PLACES.get((currency or "").upper(), 2)


def parse_amount(text: str, *, currency: str | None = None, allow_negative: bool = False,
                 allow_zero: bool = False) -> Decimal:
    """A money amount as a person types it: digits with an optional decimal point, nothing
    else. Exponents (1e9), NaN, Infinity, 1.000,00 and a bare 1,000 (a thousand, or one?) are
    refused with a message saying what to type; 1,000.00 is read as a thousand."""
    raw = text.strip()
    places = currency_places(currency)
    example = "49" if places == 0 else "49.99"
    if not raw:
        raise ValueError(f"a number such as {example} is needed")
    if _GROUPED.fullmatch(raw):
        raw = raw.replace(",", "")
    elif "," in raw:
        raise ValueError(f"{text.strip()!r} is ambiguous (a thousand, or one?): type it "
                         f"without thousands separators, with a point for decimals, such as "
                         f"1000.50")
    if not _PLAIN.fullmatch(raw):
        raise ValueError(f"a number such as {example}, digits and a decimal point only "
                         f"({text.strip()[:40]!r} is not)")
    amount = Decimal(raw)
    exponent = amount.as_tuple().exponent
    assert isinstance(exponent, int)  # finite: the pattern admits digits only
    if -exponent > places:
        raise ValueError(f"at most {places} decimal places" if places
                         else "whole amounts only, no decimals")
    if amount < 0 and not allow_negative:
        raise ValueError("the amount must not be negative")
    if amount == 0 and not allow_zero:
        raise ValueError("the amount must be more than zero")
    return amount


def _plain_api_amount(value: object) -> object:
    """Amounts in API bodies: a string of plain digits or an integer; a JSON float (49.99,
    1e9) could already have been rounded on its way, so it is refused."""
    if isinstance(value, (bool, float)):
        raise ValueError("send the amount as a string of digits, such as \"49.99\"")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        return parse_amount(value, allow_negative=True, allow_zero=True)
    return value


# A request amount: range checks (gt=0, decimal_places) stay on the Field that uses it.
PlainAmount = Annotated[Decimal, BeforeValidator(_plain_api_amount)]


def format_amount(value: Decimal) -> str:
    """At least two decimals, at most four, the same whichever database returned it:
    49.9 -> '49.90', 49.9000 -> '49.90', 0.12345 -> '0.1235'."""
    text = f"{to_decimal(value).quantize(Decimal('0.0001'), rounding=ROUND_HALF_UP):.4f}"
    while text.endswith("0") and len(text.split(".")[1]) > 2:
        text = text[:-1]
    return text


# Amounts in API bodies are strings in JSON so no client ever rounds them through a float.
MoneyAmount = Annotated[Decimal, PlainSerializer(format_amount, return_type=str)]
