"""Payments: validated per method, idempotent, allocated oldest invoice first; overpayment is
customer credit used on the next invoice; refunds; a numbered receipt for every payment."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import invoices, numbering, setup
from dotmac_isp.modules.billing.enums import DocumentKind, PaymentMethod
from dotmac_isp.modules.billing.models import (
    Invoice,
    Payment,
    PaymentAllocation,
    Receipt,
    Refund,
)
from dotmac_isp.modules.billing.repository import PaymentRepository
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.sdks import payments as gateways
from dotmac_isp.sdks.direct_debit import DIRECT_DEBIT_GATEWAYS
from dotmac_isp.sdks.payments import CardCharge
from dotmac_isp.shared import references
from dotmac_isp.shared.errors import Conflict, ValidationFailed
from dotmac_isp.shared.money import round_money

ZERO = Decimal("0")
_DIGIT_RUN = re.compile(r"(?:\d[ -]?){13,19}")


@dataclass
class PaymentInput:
    customer_id: uuid.UUID
    method: PaymentMethod
    amount: Decimal
    currency: str
    received_on: date
    reference: str = ""
    idempotency_key: str | None = None
    gateway: str = "manual"
    card_brand: str = ""
    card_last4: str = ""  # a non-card online payment: the bank account's, when known
    method_type: str = ""  # the gateway's name for the means (card, sepa_debit, ideal ...)
    notes: str = ""
    # Invoices this payment settles first (oldest first among them); empty: oldest open first.
    invoice_ids: list[uuid.UUID] = field(default_factory=list)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _refuse_card_numbers(**texts: str) -> None:
    for name, text in texts.items():
        for match in _DIGIT_RUN.finditer(text or ""):
            digits = re.sub(r"\D", "", match.group())
            if 13 <= len(digits) <= 19 and _luhn(digits):
                raise ValidationFailed("this looks like a card number; never send card "
                                       "numbers, only the last four digits",
                                       extra={"field": name})


def _validate(data: PaymentInput, currency: str) -> None:
    if data.amount <= 0:
        raise ValidationFailed("the amount must be positive", extra={"field": "amount"})
    if round_money(data.amount) != data.amount:
        raise ValidationFailed("the amount has more than two decimal places",
                               extra={"field": "amount"})
    if data.currency.upper() != currency:
        raise ValidationFailed(f"the customer is billed in {currency}, not {data.currency}")
    _refuse_card_numbers(reference=data.reference, notes=data.notes)
    reference = data.reference.strip()
    if data.method == PaymentMethod.CHEQUE and not reference:
        raise ValidationFailed("a cheque payment needs the cheque number as reference",
                               extra={"field": "reference"})
    if data.method == PaymentMethod.BANK_TRANSFER and not reference:
        raise ValidationFailed("a bank transfer needs the bank's reference",
                               extra={"field": "reference"})
    if data.method == PaymentMethod.DIRECT_DEBIT:
        if not reference:
            raise ValidationFailed("a direct debit needs the collection's reference",
                                   extra={"field": "reference"})
        if data.gateway not in DIRECT_DEBIT_GATEWAYS:
            raise ValidationFailed(f"a direct debit's gateway is one of "
                                   f"{', '.join(sorted(DIRECT_DEBIT_GATEWAYS))}",
                                   extra={"field": "gateway"})
    if data.method == PaymentMethod.CARD:
        if not re.fullmatch(r"\d{4}", data.card_last4 or ""):
            raise ValidationFailed("a card payment needs card_last4: the last four digits",
                                   extra={"field": "card_last4"})
        if data.gateway == "manual" and not reference:
            raise ValidationFailed("a card payment taken elsewhere needs the terminal's "
                                   "reference", extra={"field": "reference"})
    elif data.method == PaymentMethod.ONLINE:
        if data.gateway == "manual":
            raise ValidationFailed("an online payment is recorded by the gateway that took it, "
                                   "not by hand", extra={"field": "method"})
        if data.card_brand or not re.fullmatch(r"(\d{4})?", data.card_last4 or ""):
            raise ValidationFailed("an online payment keeps at most the account's last four "
                                   "digits", extra={"field": "card_last4"})
    elif data.card_last4 or data.card_brand:
        raise ValidationFailed("card details belong only to card payments")


def check_same_payment(existing: Payment, data: PaymentInput) -> None:
    """A request repeating an idempotency key must repeat the payment it first recorded."""
    differs = [name for name, same in (
        ("customer", existing.customer_id == data.customer_id),
        ("method", existing.method == data.method.value),
        ("amount", existing.amount == data.amount),
        ("currency", existing.currency == data.currency.upper()),
        ("reference", existing.reference == data.reference.strip()),
        ("card_last4", existing.card_last4 == data.card_last4),
    ) if not same]
    if differs:
        raise Conflict(f"this idempotency key was used for a different payment "
                       f"({existing.number}: the {', '.join(differs)} differ"
                       f"{'s' if len(differs) == 1 else ''})")


def record(session: Session, tenant_id: uuid.UUID, data: PaymentInput) -> tuple[Payment, bool]:
    """Record a payment and allocate it; (payment, created). A retried request with the same
    idempotency key returns the first payment and records nothing."""
    repo = PaymentRepository(session, tenant_id)
    if data.idempotency_key:
        existing = session.scalars(repo.select().where(
            Payment.idempotency_key == data.idempotency_key)).one_or_none()
        if existing is not None:
            check_same_payment(existing, data)
            return existing, False
    customer = references.referenced(session, partial(customers_service.get_customer, session,
                                                      tenant_id),
                                     data.customer_id, "customer_id", "customer")
    _validate(data, customer.currency)
    chosen = _chosen_invoices(session, tenant_id, customer.id, data.invoice_ids)
    gateway_name, gateway_ref, raw = "", "", {}
    if data.method in (PaymentMethod.CARD, PaymentMethod.ONLINE):
        result = gateways.get(data.gateway).charge(CardCharge(
            amount=data.amount, currency=customer.currency, reference=data.reference,
            card_brand=data.card_brand, card_last4=data.card_last4,
            idempotency_key=data.idempotency_key))
        if not result.approved:
            raise ValidationFailed(f"the card payment was declined: {result.message}")
        gateway_name, gateway_ref, raw = data.gateway, result.reference, result.raw
    elif data.method == PaymentMethod.DIRECT_DEBIT and data.gateway != "manual":
        # collected by the gateway (it confirmed the payment): its id is the reference
        gateway_name, gateway_ref = data.gateway, data.reference.strip()
    settings = setup.billing_settings(session, tenant_id)
    payment = repo.add(Payment(
        customer_id=customer.id, method=data.method.value, amount=data.amount,
        currency=customer.currency, received_on=data.received_on,
        reference=data.reference.strip(), idempotency_key=data.idempotency_key,
        number=numbering.next_number(session, settings, DocumentKind.PAYMENT, data.received_on),
        gateway=gateway_name, gateway_reference=gateway_ref, card_brand=data.card_brand,
        card_last4=data.card_last4, method_type=data.method_type[:32], gateway_response=raw,
        notes=data.notes))
    session.add(Receipt(tenant_id=tenant_id, payment_id=payment.id,
                        number=numbering.next_number(session, settings, DocumentKind.RECEIPT,
                                                     data.received_on)))
    for invoice in chosen:
        _allocate(session, tenant_id, payment, invoice, data.received_on)
    apply_credit(session, tenant_id, customer.id, data.received_on)
    return payment, True


def _chosen_invoices(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID,
                     invoice_ids: list[uuid.UUID]) -> list[Invoice]:
    """The invoices picked for a payment, checked against the customer's open invoices."""
    if not invoice_ids:
        return []
    open_ = invoices.open_invoices(session, tenant_id, customer_id, for_update=True)
    known = {invoice.id for invoice in open_}
    stray = [str(i) for i in invoice_ids if i not in known]
    if stray:
        raise ValidationFailed(f"invoice_ids: not an open invoice of this customer: "
                               f"{', '.join(stray)}", extra={"field": "invoice_ids"})
    wanted = set(invoice_ids)
    return [invoice for invoice in open_ if invoice.id in wanted]


def _allocate(session: Session, tenant_id: uuid.UUID, payment: Payment, invoice: Invoice,
              today: date) -> Decimal:
    take = min(payment.unallocated, invoice.balance_due)
    if take <= 0:
        return ZERO
    session.add(PaymentAllocation(tenant_id=tenant_id, payment_id=payment.id,
                                  invoice_id=invoice.id, amount=take))
    payment.amount_allocated += take
    invoice.amount_paid += take
    invoices.refresh_status(invoice, today)
    return take


def apply_credit(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID,
                 today: date) -> Decimal:
    """Allocate every unallocated payment of the customer to open invoices, oldest first.
    Returns the amount allocated."""
    payments = list(session.scalars(
        PaymentRepository(session, tenant_id).select()
        .where(Payment.customer_id == customer_id,
               Payment.voided_at.is_(None),
               Payment.amount > Payment.amount_allocated + Payment.amount_refunded)
        .order_by(Payment.received_on, Payment.number).with_for_update(of=Payment)))
    if not payments:
        return ZERO
    allocated = ZERO
    open_ = invoices.open_invoices(session, tenant_id, customer_id, for_update=True)
    for invoice in open_:
        for payment in payments:
            if invoice.balance_due <= 0:
                break
            allocated += _allocate(session, tenant_id, payment, invoice, today)
        invoices.refresh_status(invoice, today)
    session.flush()
    return allocated


def refund(session: Session, tenant_id: uuid.UUID, payment_id: uuid.UUID, amount: Decimal,
           reason: str, on: date) -> Refund:
    """Pay back unallocated credit of a payment (credit an invoice first to free more)."""
    payment = PaymentRepository(session, tenant_id).get(payment_id, for_update=True)
    if payment.voided_at is not None:
        raise Conflict(f"payment {payment.number} was voided; there is nothing to refund")
    amount = round_money(amount)
    if amount <= 0:
        raise ValidationFailed("the refund amount must be positive", extra={"field": "amount"})
    if amount > payment.unallocated:
        raise ValidationFailed(f"only {payment.unallocated} {payment.currency} of payment "
                               f"{payment.number} is unallocated and can be refunded",
                               extra={"field": "amount"})
    payment.amount_refunded += amount
    settings = setup.billing_settings(session, tenant_id)
    row = Refund(tenant_id=tenant_id, payment_id=payment.id, customer_id=payment.customer_id,
                 number=numbering.next_number(session, settings, DocumentKind.REFUND, on),
                 amount=amount, currency=payment.currency, refunded_on=on,
                 reason=reason[:500])
    session.add(row)
    session.flush()
    return row


def customer_credit(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> Decimal:
    rows = session.scalars(PaymentRepository(session, tenant_id).select()
                           .where(Payment.customer_id == customer_id)).all()
    return sum((p.unallocated for p in rows), ZERO)


def allocations_of(session: Session, tenant_id: uuid.UUID,
                   payment_id: uuid.UUID) -> list[tuple[PaymentAllocation, Invoice]]:
    PaymentRepository(session, tenant_id).get(payment_id)
    rows = session.execute(
        select(PaymentAllocation, Invoice).join(Invoice, Invoice.id == PaymentAllocation.invoice_id)
        .where(PaymentAllocation.payment_id == payment_id,
               PaymentAllocation.tenant_id == tenant_id)
        .order_by(PaymentAllocation.created_at)).all()
    return [(a, i) for a, i in rows]


def receipt_of(session: Session, tenant_id: uuid.UUID, payment_id: uuid.UUID) -> Receipt:
    PaymentRepository(session, tenant_id).get(payment_id)
    return session.scalars(select(Receipt).where(Receipt.payment_id == payment_id,
                                                 Receipt.tenant_id == tenant_id)).one()


def receipt_numbers(session: Session, tenant_id: uuid.UUID,
                    payment_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The receipt number of each payment, in one query."""
    if not payment_ids:
        return {}
    rows = session.execute(select(Receipt.payment_id, Receipt.number).where(
        Receipt.tenant_id == tenant_id, Receipt.payment_id.in_(payment_ids))).all()
    return {payment_id: number for payment_id, number in rows}
