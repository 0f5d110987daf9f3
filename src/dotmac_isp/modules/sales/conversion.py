"""Turning a lead with an accepted quote into a customer, in one transaction: the customer
(contact and service address with its coordinates), a pending subscription per plan line,
the installation work order at the address, the lead won and linked to them. The one-off
items wait on the quote for the first invoice (billing_hooks.py puts them there when the
first service starts).

It runs under the lead's row lock and does nothing the second time: converting (or accepting)
twice, or twice at the same moment, makes one customer, one set of subscriptions and one
work order."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.customers import schemas as customers_schemas
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.customers.enums import CustomerStatus
from dotmac_isp.modules.field import schemas as field_schemas
from dotmac_isp.modules.field import service as field_service
from dotmac_isp.modules.field.enums import WorkOrderKind
from dotmac_isp.modules.sales import leads, quotes, timeline
from dotmac_isp.modules.sales.enums import ActivityKind, LeadStage, LineKind, QuoteStatus
from dotmac_isp.modules.sales.models import Lead, Quote, QuoteLine
from dotmac_isp.modules.services import schemas as services_schemas
from dotmac_isp.modules.services import service as services_service
from dotmac_isp.shared.errors import InvalidState
from dotmac_isp.shared.types import utcnow


@dataclass
class Conversion:
    lead_id: uuid.UUID
    customer_id: uuid.UUID
    work_order_id: uuid.UUID | None
    converted_at: datetime
    created: bool
    subscription_ids: list[uuid.UUID] = field(default_factory=list)


def accepted_quote(session: Session, lead: Lead) -> Quote | None:
    """The lead's most recently accepted quote."""
    found = [q for q in quotes.quotes_of_lead(session, lead.tenant_id, lead.id)
             if q.status == QuoteStatus.ACCEPTED]
    return max(found, key=lambda q: (q.accepted_at or q.created_at), default=None)


def _split(name: str) -> tuple[str, str]:
    parts = name.split()
    if len(parts) < 2:
        return name, ""
    return " ".join(parts[:-1]), parts[-1]


def _customer(session: Session, lead: Lead, quote: Quote) -> customers_schemas.CustomerCreate:
    first, last = _split(lead.name)
    return customers_schemas.CustomerCreate.model_validate({
        "first_name": first[:100], "last_name": last[:100], "email": lead.email or None,
        "phone": lead.phone, "status": CustomerStatus.ACTIVE, "currency": quote.currency,
        "notes": f"Won from lead {lead.number} with quote {quote.number}.",
        "addresses": [{"kind": "service", "line1": lead.address_line1,
                       "line2": lead.address_line2, "city": lead.city, "region": lead.region,
                       "postal_code": lead.postal_code, "country": lead.country,
                       "latitude": lead.latitude, "longitude": lead.longitude}],
        "contacts": [{"role": "primary", "name": lead.name, "email": lead.email or None,
                      "phone": lead.phone}]})


def _done(session: Session, lead: Lead) -> Conversion:
    assert lead.customer_id is not None and lead.converted_at is not None
    quote = accepted_quote(session, lead)
    subs = [ln.subscription_id for ln in quotes.lines_of(session, lead.tenant_id, quote.id)
            if ln.subscription_id is not None] if quote is not None else []
    return Conversion(lead.id, lead.customer_id, lead.work_order_id, lead.converted_at,
                      False, subs)


def convert(session: Session, settings: Settings, tenant_id: uuid.UUID, lead_id: uuid.UUID,
            *, now: datetime | None = None) -> Conversion:
    """Make the customer, its pending services and the installation of the lead's accepted
    quote; a lead converted already is answered with what was made then."""
    now = now or utcnow()
    lead = leads.lock_lead(session, tenant_id, lead_id)
    if lead.customer_id is not None:
        return _done(session, lead)
    quote = accepted_quote(session, lead)
    if quote is None:
        raise InvalidState("the lead has no accepted quote to convert")
    if not lead.address_line1:
        raise InvalidState("the lead has no address to install at: add it first",
                           extra={"field": "address_line1"})
    customer = customers_service.create_customer(session, tenant_id,
                                                 _customer(session, lead, quote))
    address = customer.addresses[0]
    lines = quotes.lines_of(session, tenant_id, quote.id)
    subscriptions = [_subscribe(session, settings, tenant_id, customer.id, address.id, quote,
                                line) for line in lines if line.kind == LineKind.PLAN]
    work_order = field_service.create_work_order(session, tenant_id, field_schemas.WorkOrderCreate(
        kind=WorkOrderKind.INSTALLATION, customer_id=customer.id,
        subscription_id=subscriptions[0] if subscriptions else None,
        description=f"Installation sold on quote {quote.number}: "
                    + ", ".join(ln.description for ln in lines if ln.kind == LineKind.PLAN)),
        now=now)
    lead.customer_id, lead.work_order_id, lead.converted_at = customer.id, work_order.id, now
    leads.set_stage(session, lead, LeadStage.WON, f"quote {quote.number} accepted", now=now)
    timeline.record(session, lead, ActivityKind.CONVERTED,
                    f"Customer {customer.number}, {len(subscriptions)} pending service(s), "
                    f"installation {work_order.number}", now=now)
    session.flush()
    return Conversion(lead.id, customer.id, work_order.id, now, True, subscriptions)


def _subscribe(session: Session, settings: Settings, tenant_id: uuid.UUID,
               customer_id: uuid.UUID, address_id: uuid.UUID, quote: Quote,
               line: QuoteLine) -> uuid.UUID:
    assert line.plan_id is not None
    term = f", {line.term_months}-month term" if line.term_months else ""
    sub = services_service.create_subscription(
        session, settings, tenant_id, services_schemas.SubscriptionCreate(
            customer_id=customer_id, plan_id=line.plan_id, service_address_id=address_id,
            notes=f"Sold on quote {quote.number} at {line.unit_price} {quote.currency} a "
                  f"month{term}."))
    line.subscription_id = sub.id
    return sub.id
