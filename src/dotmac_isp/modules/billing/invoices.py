"""Invoices and credit notes: drafts, lines with taxes, issue, status, overdue, credit.

An issued invoice is never edited or deleted; corrections are credit notes.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import numbering, setup
from dotmac_isp.modules.billing.enums import (
    OPEN_STATUSES,
    DocumentKind,
    InvoiceStatus,
    LineKind,
)
from dotmac_isp.modules.billing.models import (
    BillingSettings,
    CreditNote,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentAllocation,
)
from dotmac_isp.modules.billing.repository import InvoiceRepository
from dotmac_isp.modules.billing.tax import Rate, compute
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.identity import audit
from dotmac_isp.shared.errors import Conflict, InvalidState, ValidationFailed
from dotmac_isp.shared.money import round_money
from dotmac_isp.shared.types import utcnow

ZERO = Decimal("0")
S = InvoiceStatus


@dataclass
class LineInput:
    kind: LineKind
    description: str
    unit_price: Decimal
    quantity: Decimal = Decimal("1")
    subscription_id: uuid.UUID | None = None
    period_start: date | None = None
    period_end: date | None = None  # inclusive last day, as printed


def new_draft(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID, *,
              currency: str | None = None, run_id: uuid.UUID | None = None,
              hold_until: date | None = None) -> Invoice:
    customer = customers_service.get_customer(session, tenant_id, customer_id)
    invoice = Invoice(customer_id=customer.id, currency=currency or customer.currency,
                      status=S.DRAFT.value, billing_run_id=run_id, hold_until=hold_until)
    return InvoiceRepository(session, tenant_id).add(invoice)


def add_lines(session: Session, invoice: Invoice, lines: list[LineInput],
              rates: list[Rate] | None = None, settings: BillingSettings | None = None,
              *, flush: bool = True) -> list[InvoiceLine]:
    """Price and tax lines onto a draft (half-up to the cent per line)."""
    if invoice.status != S.DRAFT:
        raise InvalidState("only a draft invoice can change; issue a credit note instead")
    settings = settings or setup.billing_settings(session, invoice.tenant_id)
    if rates is None:
        rates = setup.rates_for(session, invoice.tenant_id, invoice.customer_id)
    added = []
    position = len(invoice.lines)
    for line in lines:
        row = InvoiceLine(tenant_id=invoice.tenant_id, invoice_id=invoice.id,
                          position=position,
                          **price_line(line, rates, settings.prices_include_tax))
        invoice.lines.append(row)
        added.append(row)
        position += 1
    recompute(invoice)
    if flush:
        session.flush()
    return added


def price_line(line: LineInput, rates: list[Rate], inclusive: bool) -> dict[str, Any]:
    """The priced, taxed column values of one invoice line (half-up to the cent)."""
    amount = round_money(line.unit_price * line.quantity)
    taxes = compute(amount, rates, inclusive=inclusive)
    return {"kind": line.kind.value, "description": line.description[:300],
            "subscription_id": line.subscription_id, "period_start": line.period_start,
            "period_end": line.period_end, "quantity": line.quantity,
            "unit_price": line.unit_price, "tax_inclusive": inclusive,
            "net_amount": taxes.net, "tax_amount": taxes.tax, "gross_amount": taxes.gross,
            "taxes": taxes.breakdown}


def totals(lines: list[dict[str, Any]]) -> dict[str, Any]:
    """Subtotal, tax, total and the per-rate tax summary of priced lines."""
    per_rate: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    base: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        for tax in line["taxes"]:
            key = (tax["name"], tax["rate"])
            per_rate[key] += Decimal(tax["amount"])
            base[key] += line["net_amount"]
    return {
        "subtotal": sum((line["net_amount"] for line in lines), ZERO),
        "tax_total": sum((line["tax_amount"] for line in lines), ZERO),
        "total": sum((line["gross_amount"] for line in lines), ZERO),
        "tax_summary": [{"name": n, "rate": r, "amount": str(a), "base": str(base[(n, r)])}
                        for (n, r), a in sorted(per_rate.items())],
    }


def recompute(invoice: Invoice) -> None:
    """Totals and the per-rate tax summary from the lines."""
    figures = totals([{"net_amount": ln.net_amount, "tax_amount": ln.tax_amount,
                       "gross_amount": ln.gross_amount, "taxes": ln.taxes}
                      for ln in invoice.lines])
    for key, value in figures.items():
        setattr(invoice, key, value)


def remove_line(session: Session, invoice: Invoice, line_id: uuid.UUID) -> None:
    if invoice.status != S.DRAFT:
        raise InvalidState("only a draft invoice can change; issue a credit note instead")
    line = next((ln for ln in invoice.lines if ln.id == line_id), None)
    if line is None:
        raise ValidationFailed("no such line on this invoice")
    invoice.lines.remove(line)
    recompute(invoice)
    session.flush()


def issue(session: Session, invoice: Invoice, on: date,
          settings: BillingSettings | None = None) -> Invoice:
    """Give a draft its number, issue and due dates; it can no longer change."""
    settings = settings or setup.billing_settings(session, invoice.tenant_id)
    issue_many(session, [invoice], on, settings)
    return invoice


def issue_many(session: Session, drafts: list[Invoice], on: date,
               settings: BillingSettings) -> None:
    """Issue several drafts with consecutive numbers taken in one counter update."""
    for invoice in drafts:
        if invoice.status != S.DRAFT:
            raise Conflict(f"invoice is already {invoice.status}")
        if not invoice.lines:
            raise InvalidState("an invoice needs at least one line")
        if invoice.total < 0:
            raise InvalidState("an invoice total cannot be negative; issue a credit note")
    if not drafts:
        return
    numbers = numbering.next_numbers(session, settings, DocumentKind.INVOICE, on, len(drafts))
    now = utcnow()
    for invoice, number in zip(drafts, numbers, strict=True):
        invoice.number = number
        invoice.issue_date = on
        invoice.due_date = on + timedelta(days=settings.payment_terms_days)
        invoice.issued_at = now
        invoice.status = S.ISSUED.value
        refresh_status(invoice, on)


def refresh_status(invoice: Invoice, today: date) -> None:
    """Status from the amounts: void when fully credited, paid, partially paid, overdue."""
    if invoice.status == S.DRAFT:
        return
    if invoice.amount_credited >= invoice.total and invoice.total > 0:
        invoice.status = S.VOID.value
        invoice.voided_at = invoice.voided_at or utcnow()
    elif invoice.balance_due <= 0:
        invoice.status = S.PAID.value
        invoice.paid_at = invoice.paid_at or utcnow()
    elif invoice.due_date is not None and invoice.due_date < today:
        invoice.status = S.OVERDUE.value
    elif invoice.amount_paid > 0 or invoice.amount_credited > 0:
        invoice.status = S.PARTIALLY_PAID.value
        invoice.paid_at = None
    else:
        invoice.status = S.ISSUED.value
        invoice.paid_at = None


def mark_overdue_for(session: Session, tenant_id: uuid.UUID, today: date, *,
                     limit: int | None = None) -> int:
    """Open invoices of the tenant past their due date become overdue (idempotent), at most
    `limit` of each open status; each change is audited (one INSERT for all)."""
    changes: list[tuple[uuid.UUID, uuid.UUID, dict[str, Any] | None, dict[str, Any] | None]] = []
    for status in (S.ISSUED.value, S.PARTIALLY_PAID.value):
        due = select(Invoice.id).where(Invoice.tenant_id == tenant_id, Invoice.status == status,
                                       Invoice.due_date < today)
        ids = list(session.scalars(due if limit is None else due.limit(limit)))
        if not ids:
            continue
        # by primary key, re-checking the status under the row lock (a payment may have
        # come in since): the rows it reports are exactly the rows it changed
        changed = session.scalars(update(Invoice)
                                  .where(Invoice.id.in_(ids), Invoice.status == status)
                                  .values(status=S.OVERDUE.value, updated_at=utcnow())
                                  .returning(Invoice.id)
                                  .execution_options(synchronize_session="fetch")).all()
        changes.extend((tenant_id, invoice_id, {"status": status},
                        {"status": S.OVERDUE.value}) for invoice_id in changed)
    audit.record_bulk(session, "update", "invoices", changes, label="Invoice")
    return len(changes)


def open_invoices(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID, *,
                  for_update: bool = False) -> list[Invoice]:
    """Unpaid issued invoices, oldest first (the order payments are allocated in)."""
    stmt = (InvoiceRepository(session, tenant_id).select()
            .where(Invoice.customer_id == customer_id,
                   Invoice.status.in_([s.value for s in OPEN_STATUSES]))
            .order_by(Invoice.due_date, Invoice.issue_date, Invoice.number))
    if for_update:
        stmt = stmt.with_for_update(of=Invoice)
    return list(session.scalars(stmt))


def credit(session: Session, tenant_id: uuid.UUID, invoice_id: uuid.UUID, *,
           amount: Decimal | None, reason: str, on: date) -> CreditNote:
    """A credit note against an issued invoice (all that is left to credit when amount is None).

    Payments the invoice no longer needs are released back to the customer as credit."""
    invoice = InvoiceRepository(session, tenant_id).get(invoice_id, for_update=True)
    if invoice.status in (S.DRAFT, S.VOID):
        raise InvalidState(f"a {invoice.status} invoice cannot be credited")
    creditable = invoice.total - invoice.amount_credited
    amount = creditable if amount is None else round_money(amount)
    if amount <= 0:
        raise ValidationFailed("the credit amount must be positive")
    if amount > creditable:
        raise ValidationFailed(f"at most {creditable} {invoice.currency} can be credited on "
                               f"invoice {invoice.number}")
    tax = round_money(amount * invoice.tax_total / invoice.total) if invoice.total else ZERO
    settings = setup.billing_settings(session, tenant_id)
    note = CreditNote(tenant_id=tenant_id, customer_id=invoice.customer_id,
                      invoice_id=invoice.id,
                      number=numbering.next_number(session, settings,
                                                   DocumentKind.CREDIT_NOTE, on),
                      currency=invoice.currency, issue_date=on, reason=reason[:500],
                      net_amount=amount - tax, tax_amount=tax, total=amount)
    session.add(note)
    invoice.amount_credited += amount
    _release_overpaid(session, invoice)
    refresh_status(invoice, on)
    session.flush()
    return note


def _release_overpaid(session: Session, invoice: Invoice) -> None:
    """Give back to the payments whatever the invoice no longer needs, newest first."""
    excess = invoice.amount_paid + invoice.amount_credited - invoice.total
    if excess <= 0:
        return
    allocations = session.scalars(
        select(PaymentAllocation).where(PaymentAllocation.invoice_id == invoice.id)
        .order_by(PaymentAllocation.created_at.desc())).all()
    for allocation in allocations:
        if excess <= 0:
            break
        give_back = min(allocation.amount, excess)
        payment = session.get(Payment, allocation.payment_id, with_for_update=True)
        assert payment is not None
        payment.amount_allocated -= give_back
        allocation.amount -= give_back
        invoice.amount_paid -= give_back
        excess -= give_back
        if allocation.amount == 0:
            session.delete(allocation)
