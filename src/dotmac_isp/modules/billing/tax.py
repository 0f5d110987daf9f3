"""Taxes on a line: exclusive or inclusive prices, several rates, compound (tax on tax).

Each tax is rounded half-up to the cent; for inclusive prices the net is what is left after
the taxes, so net + taxes equals the price exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from dotmac_isp.shared.money import round_money

ZERO = Decimal("0")
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class Rate:
    id: str
    name: str
    percent: Decimal
    compound: bool = False


@dataclass
class LineTaxes:
    net: Decimal
    tax: Decimal
    gross: Decimal
    breakdown: list[dict[str, str]] = field(default_factory=list)


def _taxes_on(net: Decimal, rates: list[Rate], *, rounded: bool) -> list[Decimal]:
    amounts: list[Decimal] = []
    for rate in rates:
        base = net + sum(amounts, ZERO) if rate.compound else net
        amount = base * rate.percent / HUNDRED
        amounts.append(round_money(amount) if rounded else amount)
    return amounts


def percent_text(value: Decimal) -> str:
    """7.5000 -> '7.5', 5 -> '5': the same text whichever database returned the rate."""
    return format(value.normalize(), "f")


def compute(amount: Decimal, rates: list[Rate], *, inclusive: bool) -> LineTaxes:
    """Taxes of one line whose price (net, or gross when inclusive) is amount."""
    amount = round_money(amount)
    if not rates:
        return LineTaxes(amount, ZERO, amount)
    if inclusive:
        multiplier = 1 + sum(_taxes_on(Decimal(1), rates, rounded=False), ZERO)
        net = round_money(amount / multiplier)
        taxes = _taxes_on(net, rates, rounded=True)
        net = amount - sum(taxes, ZERO)  # rounding stays in the net; gross is as priced
    else:
        net = amount
        taxes = _taxes_on(net, rates, rounded=True)
    breakdown = [{"id": r.id, "name": r.name, "rate": percent_text(r.percent),
                  "compound": r.compound,
                  "amount": str(t)} for r, t in zip(rates, taxes, strict=True)]
    tax = sum(taxes, ZERO)
    return LineTaxes(net, tax, net + tax, breakdown)  # type: ignore[arg-type]
