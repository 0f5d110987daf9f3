"""One e-invoice in EN 16931 terms, written out as CII (cii.py) or UBL (ubl.py).

Its figures are the invoice's own: lines keep their net amounts, a negative line (a discount)
becomes a document-level allowance, and the tax breakdown adds the lines' taxes per category
and rate, so the totals equal the invoice's subtotal, tax, total and balance due."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from dotmac_isp.shared.errors import InvalidState
from dotmac_isp.shared.money import round_money

ZERO = Decimal("0")
CENT = Decimal("0.01")
PRICE_PLACES = Decimal("0.0001")
# categories whose breakdown names why no tax is charged (EN 16931 BR-E-10, BR-AE-10, BR-O-10)
NEEDS_REASON = frozenset({"E", "AE", "O", "K", "G"})


@dataclass(frozen=True)
class TaxCategory:
    code: str  # UNCL5305: S, Z, E, AE, K, G, O, L, M
    percent: Decimal
    reason: str = ""

    @property
    def shown_reason(self) -> str:
        if self.code not in NEEDS_REASON:
            return ""
        return self.reason or ("Reverse charge" if self.code == "AE" else "Exempt")


@dataclass(frozen=True)
class Party:
    name: str
    tax_id: str = ""
    legal_id: str = ""
    street: str = ""
    city: str = ""
    postcode: str = ""
    country: str = ""
    email: str = ""
    reference: str = ""  # the buyer's account number


@dataclass(frozen=True)
class Line:
    id: str
    name: str
    quantity: Decimal
    price: Decimal
    base_quantity: Decimal | None
    net: Decimal
    category: TaxCategory
    period_start: date | None = None
    period_end: date | None = None


@dataclass(frozen=True)
class Allowance:
    amount: Decimal  # positive: taken off
    reason: str
    category: TaxCategory


@dataclass(frozen=True)
class TaxSubtotal:
    category: TaxCategory
    basis: Decimal
    tax: Decimal


@dataclass
class EDocument:
    credit_note: bool
    number: str
    issue_date: date
    due_date: date | None
    currency: str
    seller: Party
    buyer: Party
    lines: list[Line] = field(default_factory=list)
    allowances: list[Allowance] = field(default_factory=list)
    taxes: list[TaxSubtotal] = field(default_factory=list)
    prepaid: Decimal = ZERO
    note: str = ""
    invoice_reference: tuple[str, date | None] | None = None  # what a credit note corrects

    @property
    def line_total(self) -> Decimal:
        return sum((line.net for line in self.lines), ZERO)

    @property
    def allowance_total(self) -> Decimal:
        return sum((a.amount for a in self.allowances), ZERO)

    @property
    def tax_exclusive(self) -> Decimal:
        return self.line_total - self.allowance_total

    @property
    def tax_total(self) -> Decimal:
        return sum((t.tax for t in self.taxes), ZERO)

    @property
    def tax_inclusive(self) -> Decimal:
        return self.tax_exclusive + self.tax_total

    @property
    def payable(self) -> Decimal:
        return self.tax_inclusive - self.prepaid


@dataclass(frozen=True)
class SourceLine:
    """An invoice line as priced: its net and tax amounts and its one tax category."""

    name: str
    quantity: Decimal
    net: Decimal
    tax: Decimal
    category: TaxCategory
    period_start: date | None = None
    period_end: date | None = None


def price_of(net: Decimal, quantity: Decimal) -> tuple[Decimal, Decimal, Decimal | None]:
    """(quantity, unit net price, base quantity): price x quantity / base is the net exactly."""
    if quantity > 0:
        price = net / quantity
        if price == price.quantize(PRICE_PLACES) and price.quantize(PRICE_PLACES) * quantity == net:
            return quantity, price.quantize(PRICE_PLACES), None
        return quantity, net, quantity
    return Decimal("1"), net, None


def build(doc: EDocument, source: list[SourceLine]) -> EDocument:
    """Lines, allowances and the per-category breakdown of the priced lines."""
    basis: dict[TaxCategory, Decimal] = defaultdict(lambda: ZERO)
    tax: dict[TaxCategory, Decimal] = defaultdict(lambda: ZERO)
    for number, line in enumerate(source, start=1):
        basis[line.category] += line.net
        tax[line.category] += line.tax
        if line.net < 0:
            doc.allowances.append(Allowance(-line.net, line.name, line.category))
            continue
        quantity, price, base = price_of(line.net, line.quantity)
        doc.lines.append(Line(str(number), line.name, quantity, price, base, line.net,
                              line.category, line.period_start, line.period_end))
    if not doc.lines:
        raise InvalidState("an e-invoice needs at least one line that is not a discount")
    doc.taxes = [TaxSubtotal(c, basis[c], tax[c])
                 for c in sorted(basis, key=lambda c: (c.code, c.percent, c.reason))]
    return doc


def split(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """amount shared in proportion to weights, to the cent, the parts adding up exactly."""
    whole = sum(weights, ZERO)
    if not weights:
        return []
    if whole == 0:
        return [amount] + [ZERO] * (len(weights) - 1)
    parts = [round_money(amount * w / whole) for w in weights]
    biggest = max(range(len(weights)), key=lambda i: abs(weights[i]))
    parts[biggest] += amount - sum(parts, ZERO)
    return parts


def money(value: Decimal) -> str:
    """Two decimal places, as both syntaxes print amounts."""
    return str(value.quantize(CENT))


def number_text(value: Decimal) -> str:
    """A quantity or percent without trailing zeros: 1, 1.5, 7.5."""
    text = format(value.normalize(), "f")
    return text if text not in ("-0",) else "0"
