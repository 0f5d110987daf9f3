"""The portal's home, invoice view and usage pages: a customer sees their own balance,
invoices, sessions and usage, and nothing of anyone else's."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing import service as billing_service
from dotmac_isp.modules.customers import portal
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.customers.schemas import PortalAccountCreate
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.modules.services.models import Subscription
from dotmac_isp.shared.types import utcnow
from tests.support.customers import make_customer, make_plan, make_subscription
from tests.web.billing_support import invoice, pay, takes_cards, visible, with_vat
from tests.web.glance_support import make_nas, session_row, usage_today
from tests.web.test_billing_portal import portal_sign_in

MB = 1_000_000


def subscriber(session: Session, settings: Settings, tenant: Tenant, email: str,
               plan_name: str, cap_mb: int | None = 100) -> tuple[Customer, Subscription]:
    customer = make_customer(session, tenant, email=email)
    sub = make_subscription(session, settings, tenant, customer=customer,
                            status=SubscriptionStatus.ACTIVE,
                            plan=make_plan(session, tenant, name=plan_name,
                                           data_cap_mb=cap_mb))
    portal.create_account(session, settings, tenant.id, customer.id,
                          PortalAccountCreate(password="my-portal-pw"))
    for first in billing_service.open_invoices_of(session, tenant.id, customer.id):
        pay(session, tenant, customer.id, str(first.balance_due))  # the activation's invoice
    return customer, sub


def test_home_shows_my_balance_invoices_and_services_only(
        client: TestClient, session: Session, settings: Settings, tenant: Tenant) -> None:
    me, my_sub = subscriber(session, settings, tenant, "me@home.example", "Home Fibre 100")
    them, their_sub = subscriber(session, settings, tenant, "them@home.example", "Their Fibre")
    with_vat(session, tenant)
    takes_cards(session, settings, tenant)
    nas = make_nas(session, settings, tenant)
    session_row(session, nas, my_sub, ip="100.64.40.5")
    session_row(session, nas, their_sub, ip="100.64.40.9")
    usage_today(session, my_sub, download=30 * MB, upload=10 * MB)
    usage_today(session, their_sub, download=90 * MB, upload=5 * MB)
    older = invoice(session, tenant, me.id, "100.00", on=date(2026, 3, 1))
    newer = invoice(session, tenant, me.id, "20.00", on=date(2026, 4, 1))
    pay(session, tenant, me.id, "50.00")  # goes to the older invoice first
    theirs = invoice(session, tenant, them.id, "300.00")

    portal_sign_in(client, tenant.slug, "me@home.example", "my-portal-pw")
    page = client.get(f"/portal/{tenant.slug}")
    assert page.status_code == 200
    text = visible(page.text)
    assert "Balance 79.00 USD to pay" in text  # 107.50 + 21.50 - 50.00
    assert f"Next payment due 57.50 USD by 2026-03-15 · {older.number}" in text
    for inv in (older, newer):
        assert f'href="/portal/{tenant.slug}/pay/invoices/{inv.id}"' in page.text
        assert f'href="/portal/{tenant.slug}/billing/invoices/{inv.id}"' in page.text
    assert str(theirs.number) not in text and str(theirs.id) not in page.text
    assert "Home Fibre 100" in text and "Their Fibre" not in text
    assert "Online now IP 100.64.40.5" in text and "100.64.40.9" not in text
    assert "40 MB of 100 MB" in text and "95 MB" not in text


def test_home_offline_when_the_session_has_ended(
        client: TestClient, session: Session, settings: Settings, tenant: Tenant) -> None:
    _me, my_sub = subscriber(session, settings, tenant, "me@home.example", "Home Fibre",
                             cap_mb=None)
    session_row(session, make_nas(session, settings, tenant), my_sub, stopped=True)
    portal_sign_in(client, tenant.slug, "me@home.example", "my-portal-pw")
    text = visible(client.get(f"/portal/{tenant.slug}").text)
    assert "Offline" in text and "Online now" not in text
    assert "0 B no data cap" in text
    assert "No unpaid invoices" in text


def test_invoice_view_shows_lines_tax_totals_and_payments(
        client: TestClient, session: Session, settings: Settings, tenant: Tenant,
        other_tenant: Tenant) -> None:
    me, _sub = subscriber(session, settings, tenant, "me@home.example", "Home Fibre")
    them, _their = subscriber(session, settings, tenant, "them@home.example", "Their Fibre")
    with_vat(session, tenant)
    takes_cards(session, settings, tenant)
    mine = invoice(session, tenant, me.id, "100.00", "20.00")
    payment = pay(session, tenant, me.id, "50.00")
    draft = invoice(session, tenant, me.id, "9.00", on=None)
    theirs = invoice(session, tenant, them.id, "300.00")
    base = f"/portal/{tenant.slug}/billing/invoices"
    assert client.get(f"{base}/{mine.id}", follow_redirects=False).status_code == 303

    portal_sign_in(client, tenant.slug, "me@home.example", "my-portal-pw")
    page = client.get(f"{base}/{mine.id}")
    assert page.status_code == 200
    text = visible(page.text)
    assert f"Invoice number {mine.number}" in text
    assert "Router 1 1 100.00 7.50 107.50" in text and "Router 2 1 20.00 1.50 21.50" in text
    assert ("Subtotal 120.00 USD VAT 7.5% 9.00 USD Total 129.00 USD Paid 50.00 USD "
            "Balance due 79.00 USD") in text
    assert f"Payment {payment.number} on 2026-04-02 50.00 USD" in text
    assert "Status partially paid" in text
    assert f'href="/portal/{tenant.slug}/pay/invoices/{mine.id}"' in page.text
    assert f'href="{base}/{mine.id}/pdf"' in page.text
    assert "Bill to Ada Obi" in text

    for other in (theirs.id, draft.id, payment.id):
        response = client.get(f"{base}/{other}")
        assert response.status_code == 404
        assert "300.00" not in response.text and "Router" not in response.text
    # signed in to this provider's portal only
    assert client.get(f"/portal/{other_tenant.slug}/billing/invoices/{mine.id}",
                      follow_redirects=False).status_code == 303


def test_usage_page_shows_this_and_past_periods_against_the_cap(
        client: TestClient, session: Session, settings: Settings, tenant: Tenant) -> None:
    _me, my_sub = subscriber(session, settings, tenant, "me@home.example", "Home Fibre",
                             cap_mb=2000)
    _them, their_sub = subscriber(session, settings, tenant, "them@home.example",
                                  "Their Fibre")
    today = utcnow().date()
    last_month = today.replace(day=1) - timedelta(days=1)
    usage_today(session, my_sub, download=400 * MB, upload=100 * MB)
    usage_today(session, my_sub, download=1500 * MB, upload=500 * MB, on=last_month)
    usage_today(session, their_sub, download=777 * MB, upload=0)

    portal_sign_in(client, tenant.slug, "me@home.example", "my-portal-pw")
    page = client.get(f"/portal/{tenant.slug}/usage")
    assert page.status_code == 200
    text = visible(page.text)
    assert "Home Fibre This period: 500 MB of 2 GB (25.0%)" in text
    assert f"{today.strftime('%b %Y')} 500 MB 25.0%" in text
    assert f"{last_month.strftime('%b %Y')} 2 GB 100.0%" in text
    assert "Their Fibre" not in text and "777 MB" not in text
    assert "/static/vendor/uplot/uPlot.iife.min.js" in page.text
    assert page.text.count("data-usage-chart=") == 2
