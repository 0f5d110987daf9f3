"""Chromium through the sale: a prospect sends the public enquiry form; staff find the lead,
build a quote (a plan and an installation fee) and send it; the prospect opens the emailed
signed link, signs with their name, ticks the terms and accepts; staff then see the lead won
and, on the staff pages, the customer with its pending subscription and the installation
work order at the address."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import select

from dotmac_isp.config import SalesSettings, Settings
from dotmac_isp.modules.notifications.models import Delivery
from dotmac_isp.modules.sales import schemas, tenant_settings
from tests.modules.sales.factories import set_vat
from tests.support.browser import browser_page
from tests.support.customers import make_plan
from tests.support.factories import PASSWORD, make_tenant, make_user
from tests.support.live_server import LiveServer, live_server

pytestmark = pytest.mark.browser


@dataclass
class Shop:
    server: LiveServer
    slug: str
    seller: str


@pytest.fixture(scope="module")
def shop(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    workdir = tmp_path_factory.mktemp("sales")
    with live_server(settings, workdir, own_public_url=True,
                     sales=SalesSettings(enquiry_min_seconds=1)) as live:
        with live.database.unit_of_work() as session:
            tenant = make_tenant(session, "lagos-fibre", name="Lagos Fibre")
            set_vat(session, tenant, "7.5")
            make_plan(session, tenant, name="Fibre 100", price=Decimal("29.99"),
                      min_contract_months=12)
            tenant_settings.save_settings(session, tenant.id, schemas.SalesSettingsIn(
                sales_email="sales@lagos-fibre.example", quote_terms="12-month minimum term."))
            seller = make_user(session, live.settings, tenant, "sales",
                               email="seller@lagos-fibre.example")
            made = Shop(live, tenant.slug, seller.user.email)
        yield made


def _sign_in(page, server: LiveServer, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server.url}/admin/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/admin")


def _quote_link(server: LiveServer) -> str:
    with server.database.unit_of_work(write=False) as session:
        mail = session.scalars(select(Delivery).where(
            Delivery.event_key == "sales.quote_sent")).one()
    found = re.search(r"(http://\S+/quote/\S+)", mail.body_text)
    assert found is not None
    return found.group(1)


def test_enquiry_to_quote_to_accepted_to_customer(shop: Shop) -> None:
    server = shop.server
    with browser_page() as page:
        page.goto(f"{server.url}/enquiry/{shop.slug}")
        page.fill("#name", "Kemi Bello")
        page.fill("#email", "kemi@example.com")
        page.fill("#phone", "+234 803 555 0142")
        page.fill("#address_line1", "14 Admiralty Way")
        page.fill("#city", "Lagos")
        page.fill("#message", "Is fibre available on our street?")
        page.check("#consent")
        page.wait_for_timeout(1200)  # a person takes longer than the form's minimum
        page.click("[data-testid=enquiry-form] button[type=submit]")
        assert page.locator("h1").inner_text() == "Thank you"

        _sign_in(page, server, shop.seller)
        page.click("nav.mainnav >> text=Sales")
        row = page.locator("tr[data-lead=L000001]")
        assert "Kemi Bello" in row.inner_text() and "web form" in row.inner_text()
        row.locator("a").click()
        assert "Is fibre available on our street?" in page.content()
        page.locator("[data-testid=new-quote] #plan_id").select_option(
            label="Fibre 100 (29.99 USD)")
        page.click("[data-testid=new-quote] button")
        page.wait_for_url(re.compile(r".*/admin/sales/quotes/.*"))
        form = page.locator("[data-testid=line-form]")
        form.locator("#kind").select_option("installation")
        form.locator("#description").fill("Installation")
        form.locator("#unit_price").fill("50.00")
        form.locator("button[type=submit]").click()
        assert "32.24 USD" in page.locator("[data-testid=monthly-total]").inner_text()
        assert "53.75 USD" in page.locator("[data-testid=one-off-total]").inner_text()
        page.click("[data-testid=send-quote]")
        assert "sent to kemi@example.com" in page.locator("p.flash").first.inner_text()
        lead_page = page.locator("a[href^='/admin/sales/leads/']").first.get_attribute("href")

    link = _quote_link(server)
    with browser_page() as prospect:
        prospect.goto(link)
        assert "Lagos Fibre" in prospect.locator("[data-testid=public-tenant]").inner_text()
        assert "12-month minimum term." in prospect.content()
        prospect.fill("#name", "Kemi Bello")
        prospect.check("#terms")
        prospect.click("[data-testid=accept-form] button")
        answer = prospect.locator("[data-testid=quote-answer]").inner_text()
        assert answer.startswith("Accepted by Kemi Bello")
        assert prospect.locator("[data-testid=accept-form]").count() == 0

    with browser_page() as page:
        _sign_in(page, server, shop.seller)
        page.goto(f"{server.url}{lead_page}")
        assert "won" in page.locator("h1").inner_text()
        assert "Converted" in page.locator("[data-testid=converted]").inner_text()
        page.click("[data-testid=customer-link]")
        assert "Kemi Bello" in page.locator("h1").inner_text()
        sub = page.locator("[data-testid=subscription-row]")
        assert sub.count() == 1
        assert "Fibre 100" in sub.inner_text() and "pending" in sub.inner_text()
        page.goto(f"{server.url}{lead_page}")
        page.click("[data-testid=work-order-link]")
        body = page.locator("main").inner_text()
        assert "Installation" in body and "14 Admiralty Way" in body
