"""Billing's public face for the API, pages, jobs and other modules."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import charging, dunning, invoices, payments
from dotmac_isp.modules.billing.events import InvoiceIssued, PaymentReceived
from dotmac_isp.modules.billing.invoices import LineInput
from dotmac_isp.modules.billing.models import (
    BillingRun,
    CreditNote,
    Invoice,
    Payment,
    Refund,
)
from dotmac_isp.modules.billing.repository import (
    CreditNoteRepository,
    InvoiceRepository,
    PaymentRepository,
    RunRepository,
)
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.shared.errors import InvalidState
from dotmac_isp.shared.events import publish
from dotmac_isp.shared.pagination import Page, PageParams
from dotmac_isp.shared.types import utcnow


def tenant_today(session: Session, tenant_id: uuid.UUID) -> date:
    return charging.local_date(utcnow(), identity_service.get_tenant(session, tenant_id).timezone)


def get_invoice(session: Session, tenant_id: uuid.UUID, invoice_id: uuid.UUID) -> Invoice:
    return InvoiceRepository(session, tenant_id).get(invoice_id)


def list_invoices(session: Session, tenant_id: uuid.UUID, params: PageParams, *,
                  customer_id: uuid.UUID | None = None, status: str | None = None,
                  overdue_only: bool = False) -> Page[Invoice]:
    repo = InvoiceRepository(session, tenant_id)
    stmt = repo.select().order_by(Invoice.created_at.desc(), Invoice.id)
    if customer_id:
        stmt = stmt.where(Invoice.customer_id == customer_id)
    if status:
        stmt = stmt.where(Invoice.status == status)
    if overdue_only:
        stmt = stmt.where(Invoice.status == "overdue")
    return repo.list(params, stmt)


def create_invoice(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID,
                   lines: list[LineInput], *, issue_now: bool) -> Invoice:
    """A one-off invoice (its own draft, not the customer's running one)."""
    draft = invoices.new_draft(session, tenant_id, customer_id)
    invoices.add_lines(session, draft, lines)
    if issue_now:
        issue_invoice(session, tenant_id, draft.id)
    return draft


def issue_invoice(session: Session, tenant_id: uuid.UUID, invoice_id: uuid.UUID) -> Invoice:
    invoice = InvoiceRepository(session, tenant_id).get(invoice_id, for_update=True)
    today = tenant_today(session, tenant_id)
    invoices.issue(session, invoice, today)
    session.flush()
    payments.apply_credit(session, tenant_id, invoice.customer_id, today)
    publish(session, InvoiceIssued(tenant_id=tenant_id, occurred_at=utcnow(),
                                   invoice_id=invoice.id, customer_id=invoice.customer_id,
                                   number=invoice.number or "", total=invoice.total,
                                   currency=invoice.currency))
    return invoice


def delete_draft(session: Session, tenant_id: uuid.UUID, invoice_id: uuid.UUID) -> None:
    invoice = InvoiceRepository(session, tenant_id).get(invoice_id)
    if invoice.status != "draft":
        raise InvalidState("issued invoices are never deleted; issue a credit note instead")
    InvoiceRepository(session, tenant_id).delete(invoice)


def credit_invoice(session: Session, tenant_id: uuid.UUID, invoice_id: uuid.UUID, *,
                   amount: Decimal | None, reason: str) -> CreditNote:
    return invoices.credit(session, tenant_id, invoice_id, amount=amount, reason=reason,
                           on=tenant_today(session, tenant_id))


def receive_payment(session: Session, tenant_id: uuid.UUID,
                    data: payments.PaymentInput) -> tuple[Payment, bool]:
    """Record a payment, allocate it, and restore service suspended for non-payment."""
    payment, created = payments.record(session, tenant_id, data)
    if created:
        publish(session, PaymentReceived(tenant_id=tenant_id, occurred_at=utcnow(),
                                         payment_id=payment.id, customer_id=payment.customer_id,
                                         number=payment.number, amount=payment.amount,
                                         currency=payment.currency))
        dunning.restore_if_paid(session, tenant_id, payment.customer_id,
                                tenant_today(session, tenant_id))
    return payment, created


def refund_payment(session: Session, tenant_id: uuid.UUID, payment_id: uuid.UUID,
                   amount: Decimal, reason: str) -> Refund:
    return payments.refund(session, tenant_id, payment_id, amount, reason,
                           tenant_today(session, tenant_id))


def get_payment(session: Session, tenant_id: uuid.UUID, payment_id: uuid.UUID) -> Payment:
    return PaymentRepository(session, tenant_id).get(payment_id)


def list_payments(session: Session, tenant_id: uuid.UUID, params: PageParams, *,
                  customer_id: uuid.UUID | None = None) -> Page[Payment]:
    repo = PaymentRepository(session, tenant_id)
    stmt = repo.select().order_by(Payment.received_on.desc(), Payment.number.desc())
    if customer_id:
        stmt = stmt.where(Payment.customer_id == customer_id)
    return repo.list(params, stmt)


def get_credit_note(session: Session, tenant_id: uuid.UUID, note_id: uuid.UUID) -> CreditNote:
    return CreditNoteRepository(session, tenant_id).get(note_id)


def list_credit_notes(session: Session, tenant_id: uuid.UUID, params: PageParams, *,
                      invoice_id: uuid.UUID | None = None) -> Page[CreditNote]:
    repo = CreditNoteRepository(session, tenant_id)
    stmt = repo.select().order_by(CreditNote.created_at.desc())
    if invoice_id:
        stmt = stmt.where(CreditNote.invoice_id == invoice_id)
    return repo.list(params, stmt)


def list_runs(session: Session, tenant_id: uuid.UUID, params: PageParams) -> Page[BillingRun]:
    repo = RunRepository(session, tenant_id)
    return repo.list(params, repo.select().order_by(BillingRun.created_at.desc()))


def get_run(session: Session, tenant_id: uuid.UUID, run_id: uuid.UUID) -> BillingRun:
    return RunRepository(session, tenant_id).get(run_id)


def tenants_to_bill(session: Session) -> list[uuid.UUID]:
    return identity_service.active_tenant_ids(session)
