"""Paying an invoice from the portal on a phone-sized screen (390 x 844) in Chromium, end to
end: sign in, see this period's usage against the cap, open the invoice, Pay now, pay on the
gateway's hosted page, come back, and find the invoice paid and the receipt in the mailbox.

Stripe cannot be reached from the machines these tests run on: a stand-in for its API and its
hosted page listens on loopback (tests/support/stripe_stand_in.py). It delivers its webhook
events to our endpoint signed the way Stripe signs them, and the stripe SDK verifies them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from dotmac_isp.config import MailSettings, PaymentsSettings, Settings, get_settings
from dotmac_isp.modules.billing import service as billing_service
from dotmac_isp.modules.billing.gateways import accounts
from dotmac_isp.modules.customers import portal
from dotmac_isp.modules.customers.schemas import PortalAccountCreate
from dotmac_isp.modules.services.enums import SubscriptionStatus
from tests.support.browser import browser_page
from tests.support.customers import make_customer, make_plan, make_subscription
from tests.support.factories import make_tenant
from tests.support.live_server import LiveServer, live_server
from tests.support.smtp import Inbox, smtp_server
from tests.support.stripe_stand_in import SECRET_KEY, WEBHOOK_SECRET, StandIn, stripe_stand_in
from tests.web.billing_support import invoice, pay, with_vat
from tests.web.glance_support import make_nas, session_row, usage_today

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
MB = 1_000_000


@dataclass
class Paying:
    server: LiveServer
    stripe: StandIn
    inbox: Inbox
    slug: str
    invoice_id: str
    invoice_number: str


@pytest.fixture
def paying(settings: Settings, tmp_path_factory: pytest.TempPathFactory,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[Paying]:
    with smtp_server() as (inbox, smtp_port), stripe_stand_in() as stripe:
        # the receipt is mailed after commit with the process's settings
        monkeypatch.setenv("DOTMAC_MAIL__SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("DOTMAC_MAIL__SMTP_PORT", str(smtp_port))
        get_settings.cache_clear()
        with live_server(settings, tmp_path_factory.mktemp("portal-pay"), own_public_url=True,
                         mail=MailSettings(smtp_host="127.0.0.1", smtp_port=smtp_port),
                         payments=PaymentsSettings(stripe_api_base=stripe.base_url)) as live:
            with live.database.unit_of_work() as session:
                tenant = make_tenant(session, "fibre-pay", name="Fibre Pay Co")
                customer = make_customer(session, tenant, email="ada@home.example")
                sub = make_subscription(session, live.settings, tenant, customer=customer,
                                        status=SubscriptionStatus.ACTIVE,
                                        plan=make_plan(session, tenant, name="Home Fibre 300",
                                                       data_cap_mb=50_000))
                portal.create_account(session, live.settings, tenant.id, customer.id,
                                      PortalAccountCreate(password="my-portal-pw"))
                with_vat(session, tenant)
                for first in billing_service.open_invoices_of(session, tenant.id, customer.id):
                    pay(session, tenant, customer.id, str(first.balance_due))
                accounts.save_account(session, live.settings, tenant.id, accounts.AccountInput(
                    mode="test", publishable_key="pk_test_standin", secret_key=SECRET_KEY,
                    webhook_secret=WEBHOOK_SECRET))
                session_row(session, make_nas(session, live.settings, tenant), sub,
                            ip="100.64.40.21")
                usage_today(session, sub, download=20_000 * MB, upload=5_000 * MB)
                unpaid = invoice(session, tenant, customer.id, "40.00", on=date(2026, 4, 1))
                made = Paying(live, stripe, inbox, tenant.slug, str(unpaid.id),
                              unpaid.number or "")
            stripe.webhook_url = f"{live.url}/webhooks/stripe/{tenant.slug}"
            yield made
    get_settings.cache_clear()


def page_fits(page: Any) -> bool:
    """Nothing on the page reaches past the screen's right edge (no sideways scrolling)."""
    width = page.evaluate("document.scrollingElement.scrollWidth")
    return bool(width <= PHONE["width"])


def test_pay_an_invoice_on_a_phone_and_get_the_receipt(paying: Paying) -> None:
    root = f"{paying.server.url}/portal/{paying.slug}"
    with browser_page() as page:
        page.set_viewport_size(PHONE)
        page.goto(root)
        page.fill("#login", "ada@home.example")
        page.fill("#password", "my-portal-pw")
        page.click("button[type=submit]")
        page.wait_for_url(root)
        assert page_fits(page), "home"
        assert "25 GB of 50 GB" in page.locator("[data-testid=usage-this-period]").inner_text()

        page.click("[data-testid=usage-link]")
        page.wait_for_url(f"{root}/usage")
        assert "This period: 25 GB of 50 GB (50.0%)" in page.locator(
            "[data-testid=current-usage]").inner_text()
        daily = page.locator(".usage-chart").first
        daily.locator("canvas").wait_for()
        assert "cap" in daily.inner_text()  # the day-by-day graph is drawn against the cap
        assert page_fits(page), "usage"

        page.click("nav.portalnav a:has-text('Bills')")
        page.wait_for_url(f"{root}/billing")
        assert page_fits(page), "billing"
        page.click(f"a:has-text('{paying.invoice_number}')")
        page.wait_for_url(f"{root}/billing/invoices/{paying.invoice_id}")
        assert page_fits(page), "invoice"
        assert page.locator("[data-testid=balance-due]").inner_text() == "43.00 USD"

        page.click("[data-testid=pay-now]")
        page.wait_for_url(f"{root}/pay/invoices/{paying.invoice_id}")
        assert "Pay 43.00 USD by card for invoice" in page.locator(
            "[data-testid=pay-amount]").inner_text()
        assert page_fits(page), "pay"
        page.click("[data-testid=pay-form] button")
        page.wait_for_url(f"{paying.stripe.base_url}/pay/**")
        page.click("button:has-text('Pay 4300')")
        page.wait_for_url(f"{root}/pay/return/**")
        result = page.locator("[data-testid=pay-result]").inner_text()
        assert "43.00 USD received as payment" in result
        assert page_fits(page), "returned"

        # the webhook reached us, signed, and recorded the payment before the browser came back
        answers = {kind: (status, body) for kind, status, body in paying.stripe.deliveries}
        status, body = answers["checkout.session.completed"]
        assert status == 200 and '"outcome":"recorded' in body
        assert answers["payment_intent.succeeded"][0] == 200

        page.goto(f"{root}/billing/invoices/{paying.invoice_id}")
        assert page.locator("[data-testid=balance-due]").inner_text() == "0.00 USD"
        assert "paid" in page.locator("dd .badge").first.inner_text().lower()
        assert page.locator("[data-testid=pay-now]").count() == 0
        for path in ("", "/profile"):
            page.goto(f"{root}{path}")
            assert page_fits(page), path or "home"

    receipts = [m for m in paying.inbox.wait_for(1) if "Payment received" in m["Subject"]]
    assert [m["To"] for m in receipts] == ["ada@home.example"]
    assert "43.00 USD" in receipts[0]["Subject"]
