"""The customer page at a glance: balance, open invoices, payments, subscriptions with their
address, online state and usage against the cap, tickets, and the actions (over HTTP)."""

from __future__ import annotations

import re
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.shared.types import utcnow
from tests.modules.support.factories import open_ticket
from tests.support.customers import make_customer, make_plan, make_subscription
from tests.support.factories import StaffUser, make_user
from tests.web.billing_support import invoice, pay, visible, with_vat
from tests.web.glance_support import give_addresses, make_nas, session_row, usage_today
from tests.web.test_admin_pages import sign_in


def _section(html: str, testid: str) -> str:
    """The visible text of the element carrying this data-testid (up to its table's end)."""
    start = html.index(f'data-testid="{testid}"')
    end = html.find("</table>", start)
    return visible(html[start:end if end > 0 else start + 2000])


def test_billing_section_shows_balance_open_invoices_and_last_payments(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    with_vat(session, tenant)
    customer = make_customer(session, tenant, last_name="Okafor")
    paid = invoice(session, tenant, customer.id, "100.00")  # 107.50 with VAT
    pay(session, tenant, customer.id, "107.50")
    half = invoice(session, tenant, customer.id, "40.00")  # 43.00
    pay(session, tenant, customer.id, "13.00", on=date(2026, 4, 5))  # settles 13.00 of it
    unpaid = invoice(session, tenant, customer.id, "20.00")  # 21.50
    invoice(session, tenant, customer.id, "9.00", on=None)  # a draft owes nothing yet
    sign_in(client, admin.user.email, admin.password)
    page = client.get(f"/admin/customers/{customer.id}")
    assert page.status_code == 200
    # owed: 43.00 - 13.00 + 21.50
    assert "Balance owed: 51.50 USD" in _section(page.text, "customer-balance")
    open_invoices = _section(page.text, "open-invoices")
    assert half.number in open_invoices and unpaid.number in open_invoices
    assert paid.number not in open_invoices
    assert f"{half.number} " in open_invoices and "30.00 USD" in open_invoices
    assert f'href="/admin/invoices/{half.id}"' in page.text
    payments = _section(page.text, "last-payments")
    assert "2026-04-05 cash 13.00 USD" in payments and "107.50 USD" in payments
    assert payments.index("13.00 USD") < payments.index("107.50 USD")  # newest first


def test_customer_in_credit_and_customer_without_billing_history(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    with_vat(session, tenant)
    ahead = make_customer(session, tenant)
    pay(session, tenant, ahead.id, "25.00")
    fresh = make_customer(session, tenant)
    sign_in(client, admin.user.email, admin.password)
    credit = client.get(f"/admin/customers/{ahead.id}").text
    assert "In credit: 25.00 USD" in _section(credit, "customer-balance")
    nothing = client.get(f"/admin/customers/{fresh.id}").text
    assert "Balance: 0.00 USD (settled)" in _section(nothing, "customer-balance")
    assert "No open invoices." in nothing and "No payments yet." in nothing


def test_subscriptions_show_address_online_state_and_usage_against_the_cap(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant) -> None:
    customer = make_customer(session, tenant)
    capped_plan = make_plan(session, tenant, name="Capped 100", data_cap_mb=100_000)
    online = make_subscription(session, settings, tenant, customer=customer, plan=capped_plan,
                               status=SubscriptionStatus.ACTIVE, radius_username="glance-on")
    offline = make_subscription(session, settings, tenant, customer=customer,
                                status=SubscriptionStatus.ACTIVE, radius_username="glance-off")
    give_addresses(session, tenant, online)
    nas = make_nas(session, settings, tenant)
    session_row(session, nas, online)
    session_row(session, nas, offline, stopped=True)
    usage_today(session, online, download=20_000_000_000, upload=5_000_000_000)  # 25 of 100 GB
    usage_today(session, offline, download=1_500_000, upload=0)
    sign_in(client, admin.user.email, admin.password)
    page = client.get(f"/admin/customers/{customer.id}").text
    rows = {m.group(1): visible(m.group(2)) for m in re.finditer(
        r'data-subscription="([^"]+)">(.*?)</tr>', page, re.S)}
    on, off = rows[str(online.id)], rows[str(offline.id)]
    assert "glance-on" in on and "100.64.40.5" in on and "2001:db8:4000::/56" in on
    assert "online" in on and "25 GB of 100 GB (25.0%)" in on
    assert "offline" in off and "1.5 MB no cap" in off and "100.64" not in off
    assert f'href="/admin/subscriptions/{online.id}"' in page


def test_tickets_and_actions(client: TestClient, admin: StaffUser, session: Session,
                             settings: Settings, tenant: Tenant) -> None:
    customer = make_customer(session, tenant)
    ticket = open_ticket(session, tenant, utcnow(), customer=customer, subject="Router red")
    open_ticket(session, tenant, utcnow(), subject="Someone else's outage")
    sign_in(client, admin.user.email, admin.password)
    page = client.get(f"/admin/customers/{customer.id}").text
    tickets = _section(page, "customer-tickets")
    assert ticket.number in tickets and "Router red" in tickets
    assert "Someone else's outage" not in tickets
    assert f'href="/admin/support/tickets/{ticket.id}"' in page
    assert f'href="/admin/payments/new?customer_id={customer.number}"' in page
    assert f'href="/admin/support/tickets/new?customer={customer.number}"' in page
    assert 'data-testid="action-new-subscription"' in page
    # no portal login yet: the page offers to create one; once created, the access link
    assert "Create portal login" in page and "portal-access-link" not in page
    # a read-only user sees the figures but no actions
    viewer = make_user(session, settings, tenant, "read_only")
    client.cookies.clear()
    sign_in(client, viewer.user.email, viewer.password)
    read_only = client.get(f"/admin/customers/{customer.id}").text
    assert ticket.number in read_only and "action-record-payment" not in read_only
    assert "action-new-ticket" not in read_only


def test_another_tenants_customer_is_not_found(client: TestClient, other_admin: StaffUser,
                                               session: Session, settings: Settings,
                                               tenant: Tenant) -> None:
    sub = make_subscription(session, settings, tenant, status=SubscriptionStatus.ACTIVE)
    sign_in(client, other_admin.user.email, other_admin.password)
    assert client.get(f"/admin/customers/{sub.customer_id}").status_code == 404
