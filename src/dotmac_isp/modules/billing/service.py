"""Billing's public face for the API, pages, jobs and other modules."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import (
    adjustments,
    charging,
    company,
    dunning,
    invoices,
    ledger,
    payments,
    pdf,
    run,
    setup,
    voiding,
)
from dotmac_isp.modules.billing.enums import OPEN_STATUSES, InvoiceStatus
from dotmac_isp.modules.billing.events import InvoiceIssued, PaymentReceived
from dotmac_isp.modules.billing.invoices import LineInput
from dotmac_isp.modules.billing.models import (
    BillingRun,
    CreditNote,
    Invoice,
    Payment,
    PaymentAllocation,
    Receipt,
    Refund,
)
from dotmac_isp.modules.billing.offers import Charge as Charge
from dotmac_isp.modules.billing.offers import TaxRules as TaxRules
from dotmac_isp.modules.billing.offers import charge_on_first_invoice as charge_on_first_invoice
from dotmac_isp.modules.billing.offers import tax_rules as tax_rules
from dotmac_isp.modules.billing.repository import (
    CreditNoteRepository,
    InvoiceRepository,
    PaymentRepository,
    RunRepository,
)
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.shared import references
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.errors import InvalidState
from dotmac_isp.shared.events import publish
from dotmac_isp.shared.money import round_money
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
    references.referenced(session, partial(customers_service.get_customer, session, tenant_id),
                          customer_id, "customer_id", "customer")
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


def void_payment(session: Session, tenant_id: uuid.UUID, payment_id: uuid.UUID,
                 reason: str) -> Payment:
    """Void a payment recorded by mistake: the invoices it paid are open again."""
    voiding.void(session, tenant_id, payment_id, reason, tenant_today(session, tenant_id))
    return PaymentRepository(session, tenant_id).get(payment_id)


def open_invoices_of(session: Session, tenant_id: uuid.UUID,
                     customer_id: uuid.UUID) -> list[Invoice]:
    """The customer's unpaid issued invoices, oldest first (a payment settles them)."""
    return invoices.open_invoices(session, tenant_id, customer_id)


def payment_confirm_above(session: Session, tenant_id: uuid.UUID) -> Decimal | None:
    """The amount above which staff confirm a payment before it is recorded."""
    return setup.billing_settings(session, tenant_id).payment_confirm_above


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


def termination_credit(session: Session, tenant_id: uuid.UUID, subscription_id: uuid.UUID,
                       effective_at: datetime) -> Decimal:
    """What terminating the subscription at effective_at would credit, computed as the
    termination computes it (nothing is written)."""
    return adjustments.termination_credit(session, tenant_id, subscription_id, effective_at)


def tenants_to_bill(session: Session) -> list[uuid.UUID]:
    return identity_service.active_tenant_ids(session)


# Pages, portal and documents ---------------------------------------------------------------

@dataclass(frozen=True)
class InvoiceFigures:
    """What a filtered list of invoices adds up to, in one currency."""

    currency: str
    count: int
    total: Decimal
    balance_due: Decimal


@dataclass(frozen=True)
class Document:
    filename: str
    content: bytes


def _filtered(session: Session, tenant_id: uuid.UUID, stmt: Select[Any], *, status: str | None,
              overdue: bool, customer_id: uuid.UUID | None) -> Select[Any]:
    if customer_id:
        stmt = stmt.where(Invoice.customer_id == customer_id)
    if status:
        stmt = stmt.where(Invoice.status == status)
    if overdue:
        # Past due and unpaid, whether or not today's dunning pass has marked it yet.
        stmt = stmt.where(Invoice.status.in_([s.value for s in OPEN_STATUSES]),
                          Invoice.due_date < tenant_today(session, tenant_id))
    return stmt


def search_invoices(session: Session, tenant_id: uuid.UUID, params: PageParams, *,
                    status: str | None = None, overdue: bool = False,
                    customer_id: uuid.UUID | None = None) -> Page[Invoice]:
    """Invoices newest first, by status, customer, or open and past their due date."""
    repo = InvoiceRepository(session, tenant_id)
    stmt = _filtered(session, tenant_id, repo.select(), status=status, overdue=overdue,
                     customer_id=customer_id)
    return repo.list(params, stmt.order_by(Invoice.created_at.desc(), Invoice.id))


def invoice_figures(session: Session, tenant_id: uuid.UUID, *, status: str | None = None,
                    overdue: bool = False,
                    customer_id: uuid.UUID | None = None) -> list[InvoiceFigures]:
    """Count, total and balance due of the invoices search_invoices would list, per currency."""
    repo = InvoiceRepository(session, tenant_id)
    stmt = repo.select(Invoice.currency, func.count(),
                       func.coalesce(func.sum(Invoice.total), 0),
                       func.coalesce(func.sum(Invoice.total - Invoice.amount_paid
                                              - Invoice.amount_credited), 0))
    stmt = _filtered(session, tenant_id, stmt, status=status, overdue=overdue,
                     customer_id=customer_id)
    rows = session.execute(stmt.group_by(Invoice.currency).order_by(Invoice.currency)).all()
    return [InvoiceFigures(cur, int(n), round_money(Decimal(str(total))),
                           round_money(Decimal(str(due)))) for cur, n, total, due in rows]


def payments_applied(session: Session, tenant_id: uuid.UUID,
                     invoice_id: uuid.UUID) -> list[tuple[PaymentAllocation, Payment]]:
    """The payments allocated to an invoice, oldest first."""
    InvoiceRepository(session, tenant_id).get(invoice_id)
    rows = session.execute(
        select(PaymentAllocation, Payment).join(Payment, Payment.id == PaymentAllocation.payment_id)
        .where(PaymentAllocation.invoice_id == invoice_id,
               PaymentAllocation.tenant_id == tenant_id)
        .order_by(PaymentAllocation.created_at)).all()
    return [(allocation, payment) for allocation, payment in rows]


def allocations_of_payment(session: Session, tenant_id: uuid.UUID,
                           payment_id: uuid.UUID) -> list[tuple[PaymentAllocation, Invoice]]:
    return payments.allocations_of(session, tenant_id, payment_id)


def receipt_of(session: Session, tenant_id: uuid.UUID, payment_id: uuid.UUID) -> Receipt:
    return payments.receipt_of(session, tenant_id, payment_id)


def statement(session: Session, tenant_id: uuid.UUID,
              customer_id: uuid.UUID) -> ledger.Statement:
    """The customer's ledger with a running balance."""
    return ledger.statement(session, tenant_id, customer_id)


def customer_invoices(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID,
                      params: PageParams) -> Page[Invoice]:
    """What the customer sees: issued invoices (never drafts), newest first."""
    repo = InvoiceRepository(session, tenant_id)
    return repo.list(params, repo.select().where(Invoice.customer_id == customer_id,
                                                 Invoice.status != InvoiceStatus.DRAFT.value)
                     .order_by(Invoice.issue_date.desc(), Invoice.number.desc()))


def customer_invoice(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID,
                     invoice_id: uuid.UUID) -> Invoice:
    """One of the customer's issued invoices; anyone else's, or a draft, is not found."""
    invoice = InvoiceRepository(session, tenant_id).find(invoice_id)
    if invoice is None or invoice.customer_id != customer_id or invoice.status == "draft":
        raise InvoiceRepository.not_found()
    return invoice


def customer_payment(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID,
                     payment_id: uuid.UUID) -> Payment:
    """One of the customer's payments; anyone else's is not found."""
    payment = PaymentRepository(session, tenant_id).find(payment_id)
    if payment is None or payment.customer_id != customer_id:
        raise PaymentRepository.not_found()
    return payment


def _filename(stem: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-") + ".pdf"


def invoice_document(session: Session, tenant_id: uuid.UUID, invoice_id: uuid.UUID) -> Document:
    """The invoice as a PDF, named after its number."""
    invoice = get_invoice(session, tenant_id, invoice_id)
    customer = customers_service.get_customer(session, tenant_id, invoice.customer_id)
    content = pdf.invoice_pdf(identity_service.get_tenant(session, tenant_id), invoice, customer,
                              company.document_issuer(session, tenant_id))
    return Document(_filename(invoice.number or f"draft-{str(invoice.id)[:8]}"), content)


def receipt_document(session: Session, tenant_id: uuid.UUID, payment_id: uuid.UUID) -> Document:
    """The payment's receipt as a PDF, named after the receipt number."""
    payment = get_payment(session, tenant_id, payment_id)
    receipt = payments.receipt_of(session, tenant_id, payment_id)
    customer = customers_service.get_customer(session, tenant_id, payment.customer_id)
    applied = [(inv.number or "", alloc.amount)
               for alloc, inv in payments.allocations_of(session, tenant_id, payment_id)]
    content = pdf.receipt_pdf(identity_service.get_tenant(session, tenant_id), receipt, payment,
                              customer, applied, company.document_issuer(session, tenant_id))
    return Document(_filename(receipt.number), content)


def receive_payment_once(session: Session, tenant_id: uuid.UUID,
                         data: payments.PaymentInput) -> tuple[Payment, bool]:
    """receive_payment, also when the same idempotency key arrives twice at the same moment:
    the request that loses the race gets the first payment back and records nothing."""
    try:
        with session.begin_nested():
            return receive_payment(session, tenant_id, data)
    except IntegrityError:
        if not data.idempotency_key:
            raise
        existing = session.scalars(PaymentRepository(session, tenant_id).select().where(
            Payment.idempotency_key == data.idempotency_key)).one_or_none()
        if existing is None:
            raise
        payments.check_same_payment(existing, data)
        return existing, False


def run_now(database: Database, tenant_id: uuid.UUID) -> BillingRun:
    """The recurring run for the tenant's today, started by hand (it opens its own
    transactions, so call it outside a request's unit of work)."""
    with database.unit_of_work(write=False) as session:
        today = tenant_today(session, tenant_id)
    return run.run(database, tenant_id, today)


def company_logo(session: Session, tenant_id: uuid.UUID) -> bytes | None:
    """The logo the tenant prints on its documents, if it has one."""
    return company.document_issuer(session, tenant_id).logo


def document_issuer(session: Session, tenant_id: uuid.UUID) -> pdf.Issuer:
    """The company block (and logo) the tenant prints on its documents."""
    return company.document_issuer(session, tenant_id)
