"""Billing's emails to customers, through the notifications module: a new invoice, a payment
received, and the warning before suspension for non-payment."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from dotmac_isp.config import get_settings
from dotmac_isp.modules.billing import setup
from dotmac_isp.modules.billing.events import DunningNotice, InvoiceIssued, PaymentReceived
from dotmac_isp.modules.billing.models import Invoice
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.notifications import service as notifications
from dotmac_isp.modules.services import service as services
from dotmac_isp.shared.events import on
from dotmac_isp.shared.money import format_amount


def _send(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID, event_key: str,
          context: dict[str, Any], related_id: uuid.UUID) -> None:
    customer = customers_service.get_customer(session, tenant_id, customer_id)
    if not customer.email:
        return
    tenant = identity_service.get_tenant(session, tenant_id)
    settings = get_settings()
    base = f"{settings.public_url.rstrip('/')}/portal/{tenant.slug}/billing"
    context = {"tenant": {"name": tenant.name},
               "customer": {"name": customer.display_name, "number": customer.number,
                            "email": customer.email},
               **context}
    if "invoice" in context:
        context["invoice"]["url"] = base
    notifications.send(session, tenant_id, event_key, customer.email, context,
                       mail=settings.mail if settings.mail.smtp_host else None,
                       related_type="billing", related_id=related_id)


def _invoice_context(invoice: Invoice) -> dict[str, Any]:
    return {"number": invoice.number, "issue_date": str(invoice.issue_date),
            "due_date": str(invoice.due_date), "total": format_amount(invoice.total),
            "currency": invoice.currency, "balance_due": format_amount(invoice.balance_due)}


@on(InvoiceIssued)
def email_invoice(session: Session, event: InvoiceIssued) -> None:
    invoice = session.get(Invoice, event.invoice_id)
    if invoice is not None:
        _send(session, event.tenant_id, event.customer_id, "billing.invoice_issued",
              {"invoice": _invoice_context(invoice)}, invoice.id)


@on(PaymentReceived)
def email_payment(session: Session, event: PaymentReceived) -> None:
    _send(session, event.tenant_id, event.customer_id, "billing.payment_received",
          {"payment": {"amount": format_amount(event.amount), "currency": event.currency,
                       "reference": event.number,
                       "received_date": str(event.occurred_at.date())}}, event.payment_id)


@on(DunningNotice)
def email_suspension_warning(session: Session, event: DunningNotice) -> None:
    if event.stage != "final_notice":
        return
    invoice = session.get(Invoice, event.invoice_id)
    if invoice is None or invoice.due_date is None:
        return
    grace = (setup.billing_settings(session, event.tenant_id).dunning or {}).get(
        "suspend_after_days")
    if grace is None:
        return  # the tenant never suspends for non-payment: there is nothing to warn of
    subs = services.subscriptions_of_customer(session, event.tenant_id, event.customer_id,
                                              ["active"])
    _send(session, event.tenant_id, event.customer_id, "billing.suspension_warning", {
        "invoice": _invoice_context(invoice),
        "suspension": {"date": str(invoice.due_date + timedelta(days=int(grace))),
                       "amount_due": format_amount(Decimal(event.balance_due)),
                       "currency": invoice.currency,
                       "service": ", ".join(s.plan.name for s in subs) or "internet"}},
        invoice.id)
