"""The portal on a phone-sized screen (390 x 844) in Chromium: sign in, see usage against the
cap drawn by uPlot, open an invoice; no page is wider than the screen."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing import service as billing_service
from dotmac_isp.modules.customers import portal
from dotmac_isp.modules.customers.schemas import PortalAccountCreate
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.shared.types import utcnow
from tests.support.browser import browser_page
from tests.support.customers import make_customer, make_plan, make_subscription
from tests.support.factories import make_tenant
from tests.support.live_server import LiveServer, live_server
from tests.web.billing_support import invoice, takes_cards, with_vat
from tests.web.glance_support import make_nas, session_row, usage_today

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
MB = 1_000_000


@dataclass
class Seeded:
    server: LiveServer
    slug: str
    invoice_id: str
    invoice_number: str


@pytest.fixture(scope="module")
def seeded(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    with live_server(settings, tmp_path_factory.mktemp("portal")) as live:
        with live.database.unit_of_work() as session:
            tenant = make_tenant(session, "fibre-co", name="Fibre Co")
            customer = make_customer(session, tenant, email="ada@home.example",
                                     company_name="A rather long household name for a phone")
            sub = make_subscription(session, live.settings, tenant, customer=customer,
                                    status=SubscriptionStatus.ACTIVE,
                                    plan=make_plan(session, tenant, name="Home Fibre 500",
                                                   data_cap_mb=100_000))
            portal.create_account(session, live.settings, tenant.id, customer.id,
                                  PortalAccountCreate(password="my-portal-pw"))
            with_vat(session, tenant)
            takes_cards(session, live.settings, tenant)
            session_row(session, make_nas(session, live.settings, tenant), sub,
                        ip="100.64.40.7")
            today = utcnow().date()
            for back in range(3):
                usage_today(session, sub, download=(9_000 + back) * MB, upload=1_000 * MB,
                            on=today - timedelta(days=back * 31))
            unpaid = invoice(session, tenant, customer.id, "100.00", "25.50",
                             on=date(2026, 4, 1))
            assert billing_service.open_invoices_of(session, tenant.id, customer.id)
            made = Seeded(live, tenant.slug, str(unpaid.id), unpaid.number or "")
        yield made


def document_fits(page: Any) -> bool:
    width = page.evaluate("document.documentElement.scrollWidth")
    return bool(width <= page.viewport_size["width"])


def test_phone_sign_in_usage_and_invoice(seeded: Seeded) -> None:
    root = f"{seeded.server.url}/portal/{seeded.slug}"
    with browser_page() as page:
        page.set_viewport_size(PHONE)
        page.goto(root)
        page.wait_for_url(f"{root}/login?next=/portal/{seeded.slug}")
        assert document_fits(page)
        page.fill("#login", "ada@home.example")
        page.fill("#password", "my-portal-pw")
        page.click("button[type=submit]")
        page.wait_for_url(root)
        assert page.locator("[data-testid=online]").inner_text() == "Online now"
        assert page.locator("[data-testid=ip-address]").inner_text() == "100.64.40.7"
        assert "10 GB of 100 GB" in page.locator("[data-testid=usage-this-period]").inner_text()
        pay_now = page.locator(f"a[href='/portal/{seeded.slug}/pay/invoices/{seeded.invoice_id}']")
        assert pay_now.first.is_visible()
        assert document_fits(page)

        page.click("[data-testid=usage-link]")
        page.wait_for_url(f"{root}/usage")
        assert "This period: 10 GB of 100 GB (10.0%)" in page.locator(
            "[data-testid=current-usage]").inner_text()
        charts = page.locator(".usage-chart canvas")
        charts.first.wait_for()
        assert charts.count() == 2  # this period by day, and period by period
        legend = page.locator(".usage-chart").nth(1).inner_text()
        assert "used (GB)" in legend and "cap (GB)" in legend
        assert page.locator(".usage-chart").nth(1).bounding_box()["width"] <= PHONE["width"]
        assert document_fits(page)

        page.goto(root)
        page.click(f"[data-testid=open-invoices] a:has-text('{seeded.invoice_number}')")
        page.wait_for_url(f"{root}/billing/invoices/{seeded.invoice_id}")
        assert page.locator("[data-testid=invoice-number]").inner_text() == seeded.invoice_number
        assert page.locator("[data-testid=balance-due]").inner_text() == "134.91 USD"
        assert page.locator("[data-testid=invoice-lines] tbody tr").count() == 2
        # every column of the lines, the total too, is on the screen without scrolling
        assert page.locator("[data-testid=invoice-lines]").evaluate(
            "t => t.scrollWidth <= t.clientWidth")
        assert page.locator("[data-testid=invoice-lines] tbody tr").first.locator(
            "td").last.bounding_box()["x"] < PHONE["width"] - 30
        assert document_fits(page)
        for path in ("/profile", "/billing"):
            page.goto(f"{root}{path}")
            assert document_fits(page), path
