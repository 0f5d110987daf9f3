"""Quotes: plan and one-off lines priced and taxed by the billing tax rules, totals checked
against sums worked out by hand; what a quote needs before it is sent; an answered quote is
final."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing import setup
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.sales import quotes, schemas, sending
from dotmac_isp.modules.sales.models import Quote
from dotmac_isp.shared.errors import InvalidState, ValidationFailed
from tests.modules.sales.factories import make_lead, make_quote, set_vat
from tests.support.customers import make_plan

D = Decimal


def _figures(quote: Quote) -> tuple[Decimal, ...]:
    return (quote.monthly_subtotal, quote.monthly_tax, quote.monthly_total,
            quote.one_off_subtotal, quote.one_off_tax, quote.one_off_total)


def test_totals_with_tax_worked_out_by_hand(session: Session, tenant: Tenant) -> None:
    set_vat(session, tenant, "7.5")
    plan = make_plan(session, tenant, name="Fibre 100", price=D("29.99"),
                     setup_fee=D("10.00"), min_contract_months=12)
    quote = make_quote(session, tenant, plan=plan, one_offs=[
        ("installation", "Installation", "50.00", 1),
        ("equipment", "Wi-Fi router", "24.99", 2)])
    lines = quotes.lines_of(session, tenant.id, quote.id)
    assert [(ln.kind, ln.description, ln.term_months) for ln in lines] == [
        ("plan", "Fibre 100", 12), ("setup", "Setup: Fibre 100", 0),
        ("installation", "Installation", 0), ("equipment", "Wi-Fi router", 0)]
    # plan: 29.99 * 7.5% = 2.24925 -> 2.25; setup 10.00 -> 0.75; installation 50.00 -> 3.75;
    # router 2 x 24.99 = 49.98 * 7.5% = 3.7485 -> 3.75
    assert [(ln.net_amount, ln.tax_amount, ln.gross_amount) for ln in lines] == [
        (D("29.99"), D("2.25"), D("32.24")), (D("10.00"), D("0.75"), D("10.75")),
        (D("50.00"), D("3.75"), D("53.75")), (D("49.98"), D("3.75"), D("53.73"))]
    assert _figures(quote) == (D("29.99"), D("2.25"), D("32.24"),
                               D("109.98"), D("8.25"), D("118.23"))
    assert lines[0].taxes[0]["rate"] == "7.5"
    session.expire_all()  # as stored, whichever database
    assert _figures(quotes.get_quote(session, tenant.id, quote.id)) == (
        D("29.99"), D("2.25"), D("32.24"), D("109.98"), D("8.25"), D("118.23"))


def test_prices_that_include_tax_keep_their_gross(session: Session, tenant: Tenant) -> None:
    set_vat(session, tenant, "20")
    setup.update_settings(session, tenant.id, {"prices_include_tax": True})
    quote = make_quote(session, tenant, price=D("30.00"),
                       one_offs=[("installation", "Installation", "60.00", 1)])
    # 30.00 / 1.2 = 25.00 net, 5.00 tax; 60.00 / 1.2 = 50.00 net, 10.00 tax
    assert _figures(quote) == (D("25.00"), D("5.00"), D("30.00"),
                               D("50.00"), D("10.00"), D("60.00"))
    assert quote.prices_include_tax


def test_lines_are_checked(session: Session, tenant: Tenant, other_tenant: Tenant) -> None:
    quote = make_quote(session, tenant)
    theirs = make_plan(session, other_tenant)
    with pytest.raises(ValidationFailed, match="plan_id: no such plan"):
        quotes.add_line(session, tenant.id, quote.id, schemas.LineIn(kind="plan",
                                                                     plan_id=theirs.id))
    euro = make_plan(session, tenant, currency="EUR")
    with pytest.raises(InvalidState, match="priced in EUR"):
        quotes.add_line(session, tenant.id, quote.id, schemas.LineIn(kind="plan",
                                                                     plan_id=euro.id))
    plan = make_plan(session, tenant, price=D("20.00"))
    with pytest.raises(ValidationFailed, match="billed at its own price"):
        quotes.add_line(session, tenant.id, quote.id, schemas.LineIn(
            kind="plan", plan_id=plan.id, unit_price=D("15.00")))
    with pytest.raises(ValueError, match="needs a unit_price"):
        schemas.LineIn.model_validate({"kind": "equipment", "description": "ONT"})
    assert len(quotes.lines_of(session, tenant.id, quote.id)) == 1


def test_sending_needs_an_email_and_a_plan_and_an_answered_quote_is_final(
        session: Session, settings: Settings, tenant: Tenant) -> None:
    no_mail = make_lead(session, tenant, email=None)
    quote = make_quote(session, tenant, lead=no_mail)
    with pytest.raises(ValidationFailed, match="no email address"):
        sending.send_quote(session, settings, tenant.id, quote.id)
    lead = make_lead(session, tenant)
    only_items = quotes.create_quote(session, tenant.id, schemas.QuoteCreate(
        lead_id=lead.id, lines=[schemas.LineIn(kind="equipment", description="Router",
                                               unit_price=D("40"))]))
    with pytest.raises(ValidationFailed, match="at least one plan"):
        sending.send_quote(session, settings, tenant.id, only_items.id)

    quote = make_quote(session, tenant, lead=lead)
    sent = sending.send_quote(session, settings, tenant.id, quote.id)
    assert sent.quote.status == "sent" and sent.link.startswith(settings.public_url)
    assert session.get(type(lead), lead.id).stage == "quoted"  # type: ignore[union-attr]
    line = quotes.add_line(session, tenant.id, quote.id, schemas.LineIn(
        kind="other", description="Site survey", unit_price=D("15")))
    assert line.status == "draft" and line.link_nonce is None  # the sent link stops working
    quote.status = "accepted"
    session.flush()
    with pytest.raises(InvalidState, match="answered quote cannot be changed"):
        quotes.add_line(session, tenant.id, quote.id, schemas.LineIn(
            kind="other", description="More", unit_price=D("1")))
    with pytest.raises(InvalidState, match="answered quote"):
        quotes.update_quote(session, tenant.id, quote.id, schemas.QuoteUpdate(notes="x"))
