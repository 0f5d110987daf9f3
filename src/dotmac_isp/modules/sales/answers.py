"""The prospect's side of a quote, reached by its signed link: read it, accept it (name typed
as the signature, the terms ticked) or decline it. Acceptance is recorded with the time and
the client address, and converts the lead in the same transaction; a conversion that is
refused (a plan archived meanwhile) leaves the acceptance standing and tells the staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing import service as billing_service
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.sales import conversion, leads, links, quotes, sending, timeline
from dotmac_isp.modules.sales.enums import ActivityKind, QuoteStatus
from dotmac_isp.modules.sales.models import Lead, Quote, QuoteLine
from dotmac_isp.shared.errors import AppError, InvalidState, NotFound, ValidationFailed
from dotmac_isp.shared.types import utcnow


class LinkReplaced(links.LinkExpired):
    """A newer link to this quote was sent; use the link in the latest email."""


@dataclass
class Opened:
    tenant: Tenant
    quote: Quote
    lead: Lead
    lines: list[QuoteLine]
    today: date

    @property
    def expired(self) -> bool:
        return quotes.expired(self.quote, self.today)

    @property
    def answerable(self) -> bool:
        return self.quote.status == QuoteStatus.SENT and not self.expired


def _claim(settings: Settings, token: str, now: datetime | None) -> links.LinkClaim:
    return links.read(settings.secret_key.get_secret_value(), token,
                      sending.link_age(settings), now)


def open_quote(session: Session, settings: Settings, token: str, *,
               now: datetime | None = None, for_update: bool = False) -> Opened:
    """The quote the link names; refused when forged, expired or replaced by a newer link."""
    claim = _claim(settings, token, now)
    tenant = identity_service.get_tenant(session, claim.tenant_id)
    if not tenant.is_active:
        raise NotFound("this link is not valid")
    quote = (quotes.lock_quote if for_update else quotes.get_quote)(session, tenant.id,
                                                                     claim.quote_id)
    if quote.status == QuoteStatus.DRAFT or quote.link_nonce is None:
        raise LinkReplaced("this quote is being changed; you will get a new link")
    if quote.link_nonce != claim.nonce:
        raise LinkReplaced()
    lead = leads.get_lead(session, tenant.id, quote.lead_id)
    return Opened(tenant, quote, lead, quotes.lines_of(session, tenant.id, quote.id),
                  billing_service.tenant_today(session, tenant.id))


def _answerable(opened: Opened) -> None:
    quote = opened.quote
    if quote.status == QuoteStatus.ACCEPTED:
        raise InvalidState(f"quote {quote.number} was accepted already, on "
                           f"{quote.accepted_at:%Y-%m-%d}")
    if quote.status == QuoteStatus.DECLINED:
        raise InvalidState(f"quote {quote.number} was declined")
    if opened.expired:
        raise InvalidState(f"quote {quote.number} expired on {quote.valid_until}; ask us "
                           "for a new one")


def accept(session: Session, settings: Settings, token: str, *, name: str, terms: bool,
           client_address: str, now: datetime | None = None) -> Opened:
    """Accept the quote and convert the lead; accepting again is refused and makes nothing."""
    now = now or utcnow()
    opened = open_quote(session, settings, token, now=now, for_update=True)
    _answerable(opened)
    signature = " ".join(name.split())[:200]
    problems = []
    if not signature:
        problems.append("name: type your full name to sign")
    if not terms:
        problems.append("terms: tick the box to accept the terms")
    if problems:
        raise ValidationFailed("; ".join(problems), extra={"fields": problems})
    quote, lead = opened.quote, opened.lead
    quote.status = QuoteStatus.ACCEPTED.value
    quote.accepted_at, quote.accepted_name = now, signature
    quote.answered_from = client_address[:45]
    timeline.record(session, lead, ActivityKind.QUOTE_ACCEPTED,
                    f"Quote {quote.number} accepted by {signature} from {client_address}",
                    actor_label=signature, now=now)
    session.flush()
    try:
        with session.begin_nested():
            conversion.convert(session, settings, lead.tenant_id, lead.id, now=now)
    except AppError as exc:
        timeline.record(session, lead, ActivityKind.CONVERSION_FAILED,
                        f"Not converted: {exc.detail}. Fix it and convert the lead.", now=now)
        session.flush()
    return opened


def decline(session: Session, settings: Settings, token: str, *, reason: str,
            client_address: str, now: datetime | None = None) -> Opened:
    now = now or utcnow()
    opened = open_quote(session, settings, token, now=now, for_update=True)
    _answerable(opened)
    quote, lead = opened.quote, opened.lead
    why = " ".join(reason.split())[:500]
    quote.status = QuoteStatus.DECLINED.value
    quote.declined_at, quote.decline_reason = now, why
    quote.answered_from = client_address[:45]
    timeline.record(session, lead, ActivityKind.QUOTE_DECLINED,
                    f"Quote {quote.number} declined" + (f": {why}" if why else ""),
                    actor_label=lead.name, now=now)
    session.flush()
    return opened
