"""The customer ledger: balance = invoices - credit notes - payments + refunds."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing.models import CreditNote, Invoice, Payment, Refund
from dotmac_isp.modules.customers import service as customers_service

ZERO = Decimal("0")


@dataclass(frozen=True)
class Entry:
    on: date
    kind: str  # invoice, credit_note, payment, refund
    number: str
    description: str
    debit: Decimal  # raises what the customer owes
    credit: Decimal  # lowers it
    balance: Decimal  # running balance after this entry
    document_id: uuid.UUID


@dataclass(frozen=True)
class Statement:
    customer_id: uuid.UUID
    currency: str
    entries: list[Entry]
    balance: Decimal  # positive: the customer owes; negative: the customer is in credit


def statement(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> Statement:
    customer = customers_service.get_customer(session, tenant_id, customer_id)
    rows: list[tuple[date, datetime, str, str, str, Decimal, Decimal, uuid.UUID]] = []
    for inv in session.scalars(select(Invoice).where(
            Invoice.tenant_id == tenant_id, Invoice.customer_id == customer_id,
            Invoice.status != "draft")):
        assert inv.issue_date is not None
        rows.append((inv.issue_date, inv.created_at, "invoice", inv.number or "", "Invoice",
                     inv.total, ZERO, inv.id))
    for note in session.scalars(select(CreditNote).where(
            CreditNote.tenant_id == tenant_id, CreditNote.customer_id == customer_id)):
        rows.append((note.issue_date, note.created_at, "credit_note", note.number,
                     note.reason, ZERO, note.total, note.id))
    for pay in session.scalars(select(Payment).where(
            Payment.tenant_id == tenant_id, Payment.customer_id == customer_id)):
        rows.append((pay.received_on, pay.created_at, "payment", pay.number,
                     f"Payment ({pay.method.replace('_', ' ')})", ZERO, pay.amount, pay.id))
        if pay.voided_at is not None:  # the void is its own entry; the payment stays
            rows.append((pay.voided_at.date(), pay.voided_at, "payment_void", pay.number,
                         f"Payment voided: {pay.void_reason or ''}", pay.amount, ZERO,
                         pay.id))
    for ref in session.scalars(select(Refund).where(
            Refund.tenant_id == tenant_id, Refund.customer_id == customer_id)):
        rows.append((ref.refunded_on, ref.created_at, "refund", ref.number, f"Refund: {ref.reason}",
                     ref.amount, ZERO, ref.id))
    rows.sort(key=lambda r: (r[0], r[1], r[3]))  # by day, then as they were recorded
    balance = ZERO
    entries = []
    for on, _order, kind, number, text, debit, credit, doc_id in rows:
        balance += debit - credit
        entries.append(Entry(on, kind, number, text, debit, credit, balance, doc_id))
    return Statement(customer.id, customer.currency, entries, balance)
