"""Money is Decimal, rounded half-up to the cent; floats are refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import BaseModel, ValidationError

from dotmac_isp.shared.money import (
    CurrencyCode,
    MoneyAmount,
    format_amount,
    round_money,
    to_decimal,
)


@pytest.mark.parametrize(("raw", "expected"), [
    ("0.005", "0.01"), ("0.004", "0.00"), ("2.675", "2.68"), ("-0.005", "-0.01"),
    ("10", "10.00"), (3, "3.00"), ("19.999", "20.00"),
])
def test_round_half_up_to_the_cent(raw: str | int, expected: str) -> None:
    assert round_money(raw) == Decimal(expected)
    assert str(round_money(raw)) == expected


def test_floats_and_garbage_are_refused() -> None:
    with pytest.raises(TypeError):
        to_decimal(0.1)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        to_decimal("ten dollars")
    with pytest.raises(ValueError):
        to_decimal("NaN")


def test_currency_codes_and_amounts_in_schemas() -> None:
    class Price(BaseModel):
        amount: MoneyAmount
        currency: CurrencyCode

    assert format_amount(Decimal("49.9")) == "49.90"
    assert format_amount(Decimal("49.9000")) == "49.90"
    assert format_amount(Decimal("0.12345")) == "0.1235"
    price = Price(amount=Decimal("12.50"), currency="usd")
    assert price.currency == "USD"
    assert price.model_dump(mode="json") == {"amount": "12.50", "currency": "USD"}
    with pytest.raises(ValidationError):
        Price(amount=Decimal("1"), currency="US")
