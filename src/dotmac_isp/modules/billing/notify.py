"""Billing's emails to customers, through the notifications module: a new invoice, a payment
received, an automatic card payment declined, and the warning before suspension for
non-payment. A customer who turned invoice or
receipt emails off in the portal gets none of that kind."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import get_settings
from dotmac_isp.modules.billing import metrics as billing_metrics
from dotmac_isp.modules.billing import setup
from dotmac_isp.modules.billing.einvoice.mail import attach_einvoices
from dotmac_isp.modules.billing.events import (
    DunningNoticesGiven,
    InvoiceIssued,
    InvoicesIssued,
    PaymentReceived,
)
from dotmac_isp.modules.billing.models import Invoice
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.notifications import service as notifications
from dotmac_isp.modules.services import service as services
from dotmac_isp.shared.db import after_commit
from dotmac_isp.shared.events import on
from dotmac_isp.shared.money import format_amount


def _context(tenant: Tenant, customer: customers_service.MailFacts,
             context: dict[str, Any]) -> dict[str, Any]:
    context = {"tenant": {"name": tenant.name},
               "customer": {"name": customer.name, "number": customer.number,
                            "email": customer.email},
               **context}
    if "invoice" in context:
        context["invoice"]["url"] = (f"{get_settings().public_url.rstrip('/')}/portal/"
                                     f"{tenant.slug}/billing")
    return context


def _send(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID, event_key: str,
          context: dict[str, Any], related_id: uuid.UUID, *, choice: str | None = None) -> None:
    """Email the customer, unless they have no address or turned off `choice` (a column of
    the customer such as notify_invoices)."""
    customer = customers_service.get_customer(session, tenant_id, customer_id)
    if not customer.email or (choice is not None and not getattr(customer, choice)):
        return
    tenant = identity_service.get_tenant(session, tenant_id)
    settings = get_settings()
    facts = customers_service.MailFacts(customer.email, customer.display_name, customer.number)
    notifications.send(session, tenant_id, event_key, customer.email,
                       _context(tenant, facts, context),
                       mail=settings.mail if settings.mail.smtp_host else None,
                       related_type="billing", related_id=related_id)


def _invoice_context(invoice: Any) -> dict[str, Any]:
    """The template's view of an invoice (an Invoice, or a row with the same columns)."""
    balance = invoice.total - invoice.amount_paid - invoice.amount_credited
    return {"number": invoice.number, "issue_date": str(invoice.issue_date),
            "due_date": str(invoice.due_date), "total": format_amount(invoice.total),
            "currency": invoice.currency, "balance_due": format_amount(balance)}


_INVOICE_COLUMNS = (Invoice.id, Invoice.customer_id, Invoice.number, Invoice.issue_date,
                    Invoice.due_date, Invoice.total, Invoice.currency, Invoice.amount_paid,
                    Invoice.amount_credited)


def _send_many(session: Session, tenant_id: uuid.UUID, event_key: str,
               items: list[tuple[uuid.UUID, uuid.UUID, dict[str, Any]]]) -> int:
    """(related id, customer id, context) each: one query for the customers, one INSERT."""
    if not items:
        return 0
    tenant = identity_service.get_tenant(session, tenant_id)
    customers = customers_service.mail_facts(session, tenant_id,
                                             list({customer for _, customer, _ in items}))
    queued = notifications.queue_many(session, tenant_id, event_key, [
        notifications.Outgoing(customers[customer].email,
                               _context(tenant, customers[customer], context),
                               "billing", related_id)
        for related_id, customer, context in items if customer in customers])
    email = event_key.removeprefix("billing.")
    after_commit(session, lambda: billing_metrics.EMAILS_QUEUED.labels(email).inc(queued))
    return queued


def invoice_rows(session: Session, tenant_id: uuid.UUID, ids: list[uuid.UUID]) -> list[Any]:
    """The columns an invoice email shows, for many invoices (one query per thousand)."""
    rows: list[Any] = []
    # by primary key alone, the tenant checked here: with the tenant in the WHERE clause and
    # statistics that lag a run's inserts, the planner walked every invoice of the tenant
    for start in range(0, len(ids), 1000):
        rows.extend(row for row in session.execute(
            select(*_INVOICE_COLUMNS, Invoice.tenant_id)
            .where(Invoice.id.in_(ids[start:start + 1000]))) if row.tenant_id == tenant_id)
    return rows


def opted_out(session: Session, tenant_id: uuid.UUID, customer_ids: list[uuid.UUID],
              choice: str) -> set[uuid.UUID]:
    """Those of these customers who turned `choice` (e.g. notify_invoices) off; one query per
    thousand."""
    column = getattr(Customer, choice)
    found: set[uuid.UUID] = set()
    for start in range(0, len(customer_ids), 1000):
        found.update(session.scalars(select(Customer.id).where(
            Customer.tenant_id == tenant_id, Customer.id.in_(customer_ids[start:start + 1000]),
            column.is_(False))))
    return found


@on(InvoicesIssued)
def email_invoices(session: Session, event: InvoicesIssued) -> None:
    """The same email as email_invoice, for a billing run's chunk, queued in bulk."""
    rows = invoice_rows(session, event.tenant_id, list(event.invoice_ids))
    silent = opted_out(session, event.tenant_id, list({row.customer_id for row in rows}),
                       "notify_invoices")
    rows = [row for row in rows if row.customer_id not in silent]
    _send_many(session, event.tenant_id, "billing.invoice_issued", [
        (row.id, row.customer_id, {"invoice": _invoice_context(row)}) for row in rows])
    attach_einvoices(session, event.tenant_id, [(row.id, row.customer_id) for row in rows])


@on(InvoiceIssued)
def email_invoice(session: Session, event: InvoiceIssued) -> None:
    invoice = session.get(Invoice, event.invoice_id)
    if invoice is not None:
        _send(session, event.tenant_id, event.customer_id, "billing.invoice_issued",
              {"invoice": _invoice_context(invoice)}, invoice.id, choice="notify_invoices")
        attach_einvoices(session, event.tenant_id, [(invoice.id, invoice.customer_id)])


@on(PaymentReceived)
def email_payment(session: Session, event: PaymentReceived) -> None:
    _send(session, event.tenant_id, event.customer_id, "billing.payment_received",
          {"payment": {"amount": format_amount(event.amount), "currency": event.currency,
                       "reference": event.number,
                       "received_date": str(event.occurred_at.date())}}, event.payment_id,
          choice="notify_receipts")


def email_autopay_declined(session: Session, tenant_id: uuid.UUID, invoice: Invoice,
                           card_last4: str, reason: str, retry_on: date | None) -> None:
    """The saved card was declined for this invoice: the gateway's reason, and when it is
    tried again (None: no more automatic attempts; the customer pays it themselves)."""
    _send(session, tenant_id, invoice.customer_id, "billing.autopay_declined", {
        "invoice": _invoice_context(invoice),
        "decline": {"reason": reason, "card_last4": card_last4,
                    "amount": format_amount(invoice.balance_due), "currency": invoice.currency,
                    "retry_date": str(retry_on) if retry_on else ""}}, invoice.id)


def email_direct_debit_failed(session: Session, tenant_id: uuid.UUID, invoice: Invoice,
                              bank: str, reason: str, retry_on: date | None) -> None:
    """A direct debit of this invoice failed: the gateway's reason, and when it is collected
    again (None: no more automatic attempts; the customer pays it themselves)."""
    _send(session, tenant_id, invoice.customer_id, "billing.direct_debit_failed", {
        "invoice": _invoice_context(invoice),
        "failure": {"reason": reason, "bank": bank,
                    "amount": format_amount(invoice.balance_due), "currency": invoice.currency,
                    "retry_date": str(retry_on) if retry_on else ""}}, invoice.id)


@on(DunningNoticesGiven)
def email_suspension_warnings(session: Session, event: DunningNoticesGiven) -> None:
    """The warning before suspension, for each final notice of a dunning chunk (in bulk)."""
    finals = {n.invoice_id: n for n in event.notices if n.stage == "final_notice"}
    if not finals:
        return
    grace = (setup.billing_settings(session, event.tenant_id).dunning or {}).get(
        "suspend_after_days")
    if grace is None:
        return  # the tenant never suspends for non-payment: there is nothing to warn of
    rows = [r for r in invoice_rows(session, event.tenant_id, list(finals))
            if r.due_date is not None]
    plans = services.active_plan_names(session, event.tenant_id,
                                       list({r.customer_id for r in rows}))
    _send_many(session, event.tenant_id, "billing.suspension_warning", [
        (row.id, row.customer_id, {
            "invoice": _invoice_context(row),
            "suspension": {"date": str(row.due_date + timedelta(days=int(grace))),
                           "amount_due": format_amount(Decimal(finals[row.id].balance_due)),
                           "currency": row.currency,
                           "service": ", ".join(plans.get(row.customer_id, [])) or "internet"}})
        for row in rows])
