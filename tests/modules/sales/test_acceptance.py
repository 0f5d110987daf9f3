"""The prospect's signed link: a forged, altered, expired or replaced link is refused and
changes nothing; accepting records who, when and from where, and converts the lead in the
same transaction into one customer, a pending subscription per plan and one installation
work order; accepting or converting again makes nothing new; one-off items land on the
first invoice with the setup fee and first period when the service starts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing.models import Invoice
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.field import service as field_service
from dotmac_isp.modules.field.models import WorkOrder
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.sales import answers, conversion, leads, links, sending
from dotmac_isp.modules.sales.models import LeadActivity
from dotmac_isp.modules.services import schemas as services_schemas
from dotmac_isp.modules.services import service as services_service
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.modules.services.models import Subscription
from dotmac_isp.shared.errors import InvalidState, NotFound, ValidationFailed
from dotmac_isp.shared.types import utcnow
from tests.modules.sales.factories import make_lead, sent_quote, set_vat
from tests.support.customers import make_plan

D = Decimal


def _count(session: Session, model: type, tenant: Tenant) -> int:
    return session.scalar(select(func.count()).select_from(model).where(
        model.tenant_id == tenant.id)) or 0  # type: ignore[attr-defined]


def test_forged_altered_expired_and_replaced_links_are_refused(
        session: Session, settings: Settings, tenant: Tenant) -> None:
    quote, token = sent_quote(session, settings, tenant)
    assert answers.open_quote(session, settings, token).quote.id == quote.id
    with pytest.raises(NotFound, match="not valid"):
        answers.open_quote(session, settings, token[:-2] + ("AA" if token[-2:] != "AA"
                                                            else "BB"))
    forged = links.sign("another-secret-key-of-some-other-install", tenant.id, quote.id,
                        quote.link_nonce or "")
    with pytest.raises(NotFound):
        answers.open_quote(session, settings, forged)
    later = utcnow() + timedelta(days=settings.sales.quote_link_days, minutes=1)
    with pytest.raises(links.LinkExpired, match="expired"):
        answers.accept(session, settings, token, name="Kemi Bello", terms=True,
                       client_address="203.0.113.9", now=later)
    resent = sending.send_quote(session, settings, tenant.id, quote.id)
    with pytest.raises(answers.LinkReplaced, match="newer link"):
        answers.open_quote(session, settings, token)
    assert resent.link.rsplit("/", 1)[1] != token
    session.refresh(quote)
    assert quote.status == "sent" and quote.accepted_at is None
    assert _count(session, Customer, tenant) == 0


def test_accepting_converts_once(session: Session, settings: Settings, tenant: Tenant) -> None:
    lead = make_lead(session, tenant, latitude="6.447800", longitude="3.472300")
    quote, token = sent_quote(session, settings, tenant, lead=lead,
                              one_offs=[("installation", "Installation", "50.00", 1)])
    with pytest.raises(ValidationFailed, match=r"type your full name.*tick the box"):
        answers.accept(session, settings, token, name="  ", terms=False,
                       client_address="203.0.113.9")
    answers.accept(session, settings, token, name="Kemi  Bello", terms=True,
                   client_address="203.0.113.9")
    session.refresh(quote)
    assert (quote.status, quote.accepted_name, quote.answered_from) == (
        "accepted", "Kemi Bello", "203.0.113.9")
    assert quote.accepted_at is not None
    lead = leads.get_lead(session, tenant.id, lead.id)
    assert lead.stage == "won" and lead.customer_id and lead.work_order_id
    customer = session.get(Customer, lead.customer_id)
    assert customer is not None
    assert (customer.first_name, customer.last_name, customer.email) == (
        "Kemi", "Bello", lead.email)
    address = customer.addresses[0]
    assert (address.kind, address.line1, address.latitude) == (
        "service", "14 Admiralty Way", D("6.447800"))
    assert customer.contacts[0].name == "Kemi Bello"
    sub = session.scalars(select(Subscription).where(
        Subscription.customer_id == customer.id)).one()
    assert sub.status == "pending" and sub.service_address_id == address.id
    order = field_service.get_work_order(session, tenant.id, lead.work_order_id)
    assert (order.kind, order.status, order.subscription_id, order.customer_id) == (
        "installation", "new", sub.id, customer.id)
    assert order.latitude == D("6.447800")

    with pytest.raises(InvalidState, match="accepted already"):
        answers.accept(session, settings, token, name="Kemi Bello", terms=True,
                       client_address="203.0.113.9")
    again = conversion.convert(session, settings, tenant.id, lead.id)
    assert not again.created and again.customer_id == customer.id
    assert again.subscription_ids == [sub.id] and again.work_order_id == order.id
    assert (_count(session, Customer, tenant), _count(session, Subscription, tenant),
            _count(session, WorkOrder, tenant)) == (1, 1, 1)
    kinds = [a.kind for a in session.scalars(select(LeadActivity).where(
        LeadActivity.lead_id == lead.id).order_by(LeadActivity.created_at))]
    assert kinds[-3:] == ["quote_accepted", "stage", "converted"]


def test_declining_and_a_refused_conversion(session: Session, settings: Settings,
                                            tenant: Tenant) -> None:
    quote, token = sent_quote(session, settings, tenant)
    answers.decline(session, settings, token, reason="too dear",
                    client_address="198.51.100.4")
    session.refresh(quote)
    assert (quote.status, quote.decline_reason) == ("declined", "too dear")
    with pytest.raises(InvalidState, match="declined"):
        answers.accept(session, settings, token, name="K", terms=True, client_address="x")
    # accepted, but the lead has no address to install at: the acceptance stands, the
    # staff are told, nothing else is made
    lead = make_lead(session, tenant, address_line1="", city="")
    quote, token = sent_quote(session, settings, tenant, lead=lead)
    answers.accept(session, settings, token, name="Kemi Bello", terms=True,
                   client_address="198.51.100.4")
    session.refresh(quote)
    assert quote.status == "accepted"
    assert leads.get_lead(session, tenant.id, lead.id).stage == "quoted"
    assert _count(session, Customer, tenant) == 0
    last = session.scalars(select(LeadActivity).where(LeadActivity.lead_id == lead.id)
                           .order_by(LeadActivity.created_at.desc())).first()
    assert last is not None and last.kind == "conversion_failed"
    assert "no address to install at" in last.body


def test_one_off_items_join_the_first_invoice_once(session: Session, settings: Settings,
                                                   tenant: Tenant) -> None:
    set_vat(session, tenant, "7.5")
    plan = make_plan(session, tenant, name="Fibre 50", price=D("29.99"),
                     setup_fee=D("10.00"))
    lead = make_lead(session, tenant)
    _quote, token = sent_quote(session, settings, tenant, lead=lead, plan=plan, one_offs=[
        ("installation", "Installation", "50.00", 1), ("equipment", "Router", "24.99", 2)])
    answers.accept(session, settings, token, name="Kemi Bello", terms=True,
                   client_address="203.0.113.9")
    lead = leads.get_lead(session, tenant.id, lead.id)
    assert _count(session, Invoice, tenant) == 0  # nothing billed before the service starts
    sub = session.scalars(select(Subscription).where(
        Subscription.customer_id == lead.customer_id)).one()
    for status in (SubscriptionStatus.PROVISIONING, SubscriptionStatus.ACTIVE):
        services_service.request_status(session, tenant.id, sub.id,
                                        services_schemas.ServiceStatusUpdate(status=status))
    invoice = session.scalars(select(Invoice).where(Invoice.tenant_id == tenant.id)).one()
    kinds = sorted((ln.kind, ln.description.split(" (")[0], ln.net_amount)
                   for ln in invoice.lines)
    assert ("one_off", "Installation", D("50.00")) in kinds
    assert ("one_off", "Router", D("49.98")) in kinds
    assert ("setup_fee", "Setup: Fibre 50", D("10.00")) in kinds
    assert any(k == "subscription" for k, _d, _n in kinds)
    # suspended and restored: the one-off items are not billed again
    for status in (SubscriptionStatus.SUSPENDED, SubscriptionStatus.ACTIVE):
        services_service.request_status(session, tenant.id, sub.id,
                                        services_schemas.ServiceStatusUpdate(status=status))
    one_offs = [ln for inv in session.scalars(select(Invoice).where(
        Invoice.tenant_id == tenant.id)) for ln in inv.lines if ln.kind == "one_off"]
    assert len(one_offs) == 2
