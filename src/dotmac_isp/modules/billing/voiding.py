"""Void a payment recorded by mistake: its allocations are reversed (the invoices it paid are
open again with their balances), the payment stays in the ledger with when and why it was
voided, and each change goes to the audit log like any other write."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import invoices
from dotmac_isp.modules.billing.models import Invoice, Payment, PaymentAllocation
from dotmac_isp.modules.billing.repository import PaymentRepository
from dotmac_isp.shared.errors import Conflict, ValidationFailed
from dotmac_isp.shared.types import utcnow


def void(session: Session, tenant_id: uuid.UUID, payment_id: uuid.UUID, reason: str,
         today: date) -> list[Invoice]:
    """Void the payment; returns the invoices it had paid, reopened."""
    payment = PaymentRepository(session, tenant_id).get(payment_id, for_update=True)
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("reason: say why the payment is voided")
    if payment.voided_at is not None:
        raise Conflict(f"payment {payment.number} was already voided")
    if payment.amount_refunded > 0:
        raise Conflict(f"payment {payment.number} has been refunded in part or whole; a "
                       f"refunded payment cannot be voided")
    rows = session.execute(
        select(PaymentAllocation, Invoice)
        .join(Invoice, Invoice.id == PaymentAllocation.invoice_id)
        .where(PaymentAllocation.tenant_id == tenant_id,
               PaymentAllocation.payment_id == payment.id)
        .order_by(PaymentAllocation.created_at)
        .with_for_update(of=Invoice)).all()
    reopened: list[Invoice] = []
    for allocation, invoice in rows:
        invoice.amount_paid -= allocation.amount
        payment.amount_allocated -= allocation.amount
        session.delete(allocation)  # the link only; the invoice's audit keeps amount_paid
        if invoice.balance_due > 0:
            invoice.paid_at = None
        invoices.refresh_status(invoice, today)
        reopened.append(invoice)
    payment.voided_at = utcnow()
    payment.void_reason = reason[:500]
    session.flush()
    return reopened


def is_voided(payment: Payment) -> bool:
    return payment.voided_at is not None
