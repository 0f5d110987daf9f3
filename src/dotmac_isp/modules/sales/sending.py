"""Sending a quote: totals brought up to date, a fresh signed link (the one sent before stops
working), the lead moved to quoted, the email with the PDF queued. Services flush only."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing import service as billing_service
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.sales import leads, links, notify, pdf, quotes, tenant_settings, timeline
from dotmac_isp.modules.sales.enums import ActivityKind, LeadStage, LineKind, QuoteStatus
from dotmac_isp.modules.sales.models import Quote
from dotmac_isp.shared.errors import InvalidState, ValidationFailed
from dotmac_isp.shared.types import utcnow


@dataclass(frozen=True)
class Sent:
    quote: Quote
    link: str
    expires_at: datetime


def link_age(settings: Settings) -> timedelta:
    return timedelta(days=settings.sales.quote_link_days)


def link_for(settings: Settings, quote: Quote) -> str:
    assert quote.link_nonce is not None
    token = links.sign(settings.secret_key.get_secret_value(), quote.tenant_id, quote.id,
                       quote.link_nonce)
    return notify.public_url(settings, f"/quote/{token}")


def document(session: Session, tenant_id: uuid.UUID, quote_id: uuid.UUID) -> tuple[str, bytes]:
    """(file name, PDF) of the quote as it stands."""
    quote = quotes.get_quote(session, tenant_id, quote_id)
    lead = leads.get_lead(session, tenant_id, quote.lead_id)
    return f"{quote.number}.pdf", pdf.quote_pdf(
        identity_service.get_tenant(session, tenant_id), quote, lead,
        quotes.lines_of(session, tenant_id, quote.id),
        tenant_settings.sales_settings(session, tenant_id).quote_terms,
        billing_service.document_issuer(session, tenant_id))


def send_quote(session: Session, settings: Settings, tenant_id: uuid.UUID,
               quote_id: uuid.UUID, *, now: datetime | None = None,
               today: date | None = None) -> Sent:
    """Email the quote to the lead (again, for a sent quote: a new link replaces the old)."""
    now = now or utcnow()
    today = today or billing_service.tenant_today(session, tenant_id)
    quote = quotes.lock_quote(session, tenant_id, quote_id)
    quotes.check_editable(quote)
    lead = leads.lock_lead(session, tenant_id, quote.lead_id)
    if lead.stage in (LeadStage.WON, LeadStage.LOST):
        raise InvalidState(f"the lead is {lead.stage}; a quote is not sent to it")
    if not lead.email:
        raise ValidationFailed("the lead has no email address to send the quote to: add one "
                               "first", extra={"field": "email"})
    lines = quotes.lines_of(session, tenant_id, quote.id)
    if not any(ln.kind == LineKind.PLAN for ln in lines):
        raise ValidationFailed("add at least one plan before sending the quote")
    if quote.valid_until < today:
        raise ValidationFailed(f"valid_until: the quote expired on {quote.valid_until}; give "
                               "it a later date first", extra={"field": "valid_until"})
    quotes.recompute(session, quote, lines)
    quote.status = QuoteStatus.SENT.value
    quote.link_nonce = links.new_nonce()
    quote.sent_at, quote.sent_to = now, lead.email
    link = link_for(settings, quote)
    if lead.stage != LeadStage.QUOTED:
        leads.set_stage(session, lead, LeadStage.QUOTED, f"quote {quote.number} sent", now=now)
    timeline.record(session, lead, ActivityKind.QUOTE_SENT,
                    f"Quote {quote.number} sent to {lead.email}", now=now)
    session.flush()
    _name, document_pdf = document(session, tenant_id, quote.id)
    notify.quote_sent(session, settings, lead, quote, link, document_pdf)
    return Sent(quote, link, links.expires_at(now, link_age(settings)))
