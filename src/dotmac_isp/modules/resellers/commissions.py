"""The commission arithmetic, from plain rows to statement lines; no database here.

- A payment received in the month earns, for each invoice it was allocated to and each plan
  on that invoice, percent x (the allocated amount's share of that plan's service lines, net
  of tax): allocated x line net / invoice total.
- A payment's allocations are read as they stand; money since released from its invoices by
  a credit note and refunded is counted back in (allocations scaled by (allocated + refunded)
  / allocated), because the refund's own line takes it out again.
- A refund in the month reverses refund / payment amount of what that payment earned, with
  the same rule for each of its lines (a partial refund reverses proportionally).
- A subscription first activated in the month earns its plan rule's fixed amount once.
- A voucher batch the reseller bought is a negative line of its total (quantity x the unit
  price, rounded when sold), in the batch's currency: the total is then what the ISP owes the
  reseller net of what the reseller owes for vouchers, and may be negative (the reseller owes).
- Each line is rounded to the currency's minor unit, half up; the statement's total is the
  sum of its rounded lines.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from dotmac_isp.modules.resellers.enums import LineKind
from dotmac_isp.modules.resellers.sources import MonthRows, PaymentRow
from dotmac_isp.shared.money import currency_places

ZERO = Decimal("0")
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class Rule:
    percent: Decimal
    activation_amount: Decimal


@dataclass(frozen=True)
class Line:
    currency: str
    key: str
    kind: LineKind
    occurred_on: date
    customer_id: uuid.UUID | None  # None: a voucher batch purchase
    source_id: uuid.UUID
    invoice_id: uuid.UUID | None
    plan_id: uuid.UUID | None
    description: str
    base_amount: Decimal
    percent: Decimal
    amount: Decimal


@dataclass(frozen=True)
class _Part:
    invoice_id: uuid.UUID
    plan_id: uuid.UUID
    net_base: Decimal  # exact, not rounded
    percent: Decimal


def round_minor(value: Decimal, currency: str) -> Decimal:
    """Rounded half up to the currency's minor unit (cents; whole units for JPY and such)."""
    return value.quantize(Decimal(1).scaleb(-currency_places(currency)), rounding=ROUND_HALF_UP)


def rule_for(rules: dict[uuid.UUID | None, Rule], plan_id: uuid.UUID) -> Rule | None:
    """The plan's own rule, else the reseller's rule for every other plan."""
    return rules.get(plan_id) or rules.get(None)


def _parts(payment: PaymentRow, rows: MonthRows,
           rules: dict[uuid.UUID | None, Rule]) -> list[_Part]:
    allocated = sum((a.amount for a in payment.allocations), ZERO)
    if allocated <= 0:
        return []
    scale = (allocated + payment.amount_refunded) / allocated
    sums: dict[tuple[uuid.UUID, uuid.UUID], Decimal] = defaultdict(lambda: ZERO)
    percents: dict[tuple[uuid.UUID, uuid.UUID], Decimal] = {}
    for allocation in payment.allocations:
        invoice = rows.invoices[allocation.invoice_id]
        if invoice.total <= 0:
            continue
        for line in invoice.lines:
            rule = rule_for(rules, line.plan_id)
            if rule is None or rule.percent <= 0:
                continue
            key = (invoice.id, line.plan_id)
            sums[key] += allocation.amount * scale * line.net_amount / invoice.total
            percents[key] = rule.percent
    return [_Part(invoice_id, plan_id, base, percents[(invoice_id, plan_id)])
            for (invoice_id, plan_id), base in sums.items()]


def compute(rows: MonthRows, rules: dict[uuid.UUID | None, Rule],
            plan_names: dict[uuid.UUID, str], tenant_currency: str,
            zone: ZoneInfo) -> list[Line]:
    """Every line of the month, in the order a statement lists them."""
    lines: list[Line] = []
    for payment_id in rows.received:
        payment = rows.payments[payment_id]
        for part in _parts(payment, rows, rules):
            invoice = rows.invoices[part.invoice_id]
            lines.append(Line(
                payment.currency, f"payment:{payment.id}:{part.invoice_id}:{part.plan_id}",
                LineKind.PAYMENT, payment.received_on, payment.customer_id, payment.id,
                part.invoice_id, part.plan_id,
                f"Payment {payment.number} on invoice {invoice.number} "
                f"({plan_names.get(part.plan_id, 'plan')})",
                round_minor(part.net_base, payment.currency), part.percent,
                round_minor(part.net_base * part.percent / HUNDRED, payment.currency)))
    for refund in rows.refunds:
        refunded = rows.payments.get(refund.payment_id)
        if refunded is None or refunded.voided or refunded.amount <= 0:
            continue
        share = refund.amount / refunded.amount
        for part in _parts(refunded, rows, rules):
            invoice = rows.invoices[part.invoice_id]
            base = part.net_base * share
            lines.append(Line(
                refunded.currency, f"refund:{refund.id}:{part.invoice_id}:{part.plan_id}",
                LineKind.REFUND, refund.refunded_on, refunded.customer_id, refund.id,
                part.invoice_id, part.plan_id,
                f"Refund {refund.number} of payment {refunded.number} "
                f"({refund.amount} of {refunded.amount}), invoice {invoice.number} "
                f"({plan_names.get(part.plan_id, 'plan')})",
                -round_minor(base, refunded.currency), part.percent,
                -round_minor(base * part.percent / HUNDRED, refunded.currency)))
    for activation in rows.activations:
        rule = rule_for(rules, activation.plan_id)
        if rule is None or rule.activation_amount <= 0:
            continue
        lines.append(Line(
            tenant_currency, f"activation:{activation.subscription_id}", LineKind.ACTIVATION,
            activation.activated_at.astimezone(zone).date(), activation.customer_id,
            activation.subscription_id, None, activation.plan_id,
            f"Activation of {activation.username} "
            f"({plan_names.get(activation.plan_id, 'plan')})",
            ZERO, ZERO, round_minor(rule.activation_amount, tenant_currency)))
    for batch in rows.batches:
        places = currency_places(batch.currency)
        lines.append(Line(
            batch.currency, f"voucher_batch:{batch.batch_id}", LineKind.VOUCHER_BATCH,
            batch.sold_at.astimezone(zone).date(), None, batch.batch_id, None, None,
            f"Voucher batch {batch.name}: {batch.quantity} x {batch.unit_price:.{places}f}",
            ZERO, ZERO, -round_minor(batch.total, batch.currency)))
    return lines
