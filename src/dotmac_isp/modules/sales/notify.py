"""Sales emails through the notifications module: a new enquiry to the tenant's sales
address, and the quote (PDF attached, with its signed link) to the prospect."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.notifications import service as notifications
from dotmac_isp.modules.sales import tenant_settings
from dotmac_isp.modules.sales.models import Lead, Quote
from dotmac_isp.shared.errors import AppError
from dotmac_isp.shared.money import format_amount

log = logging.getLogger(__name__)
ENQUIRY = "sales.enquiry_received"
QUOTE = "sales.quote_sent"


def public_url(settings: Settings, path: str) -> str:
    return f"{settings.public_url.rstrip('/')}{path}"


def enquiry_received(session: Session, settings: Settings, lead: Lead) -> bool:
    """Tell the sales address about a new enquiry; False when none is set (or it is bad)."""
    to = tenant_settings.sales_settings(session, lead.tenant_id).sales_email
    if not to:
        return False
    tenant = identity_service.get_tenant(session, lead.tenant_id)
    context = {"tenant": {"name": tenant.name}, "lead": {
        "number": lead.number, "name": lead.name, "email": lead.email, "phone": lead.phone,
        "address": lead.address_text(), "message": lead.message,
        "url": public_url(settings, f"/admin/sales/leads/{lead.id}")}}
    try:
        notifications.send(session, lead.tenant_id, ENQUIRY, to, context, mail=settings.mail,
                           related_type="sales_lead", related_id=lead.id)
    except AppError as exc:  # a bad stored address must not lose the enquiry
        log.warning("enquiry email not queued", extra={"lead": lead.number,
                                                         "reason": exc.detail})
        return False
    return True


def quote_sent(session: Session, settings: Settings, lead: Lead, quote: Quote, link: str,
               pdf: bytes) -> None:
    """Queue the quote email with its PDF; a refused address is the sender's 422."""
    tenant = identity_service.get_tenant(session, lead.tenant_id)
    context = {"tenant": {"name": tenant.name}, "lead": {"name": lead.name}, "quote": {
        "number": quote.number, "currency": quote.currency,
        "monthly_total": format_amount(quote.monthly_total) if quote.monthly_total else "",
        "one_off_total": format_amount(quote.one_off_total) if quote.one_off_total else "",
        "valid_until": str(quote.valid_until), "url": link}}
    delivery = notifications.send(session, lead.tenant_id, QUOTE, lead.email, context,
                                  mail=settings.mail, related_type="sales_quote",
                                  related_id=quote.id)
    notifications.attach(session, lead.tenant_id, delivery.id,
                         [(f"{quote.number}.pdf", "application/pdf", pdf)])
