"""Real-browser money safety: a mistyped amount (1e9) is refused on the page and nothing is
recorded; a payment voided from its page leaves the invoice it paid open again."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest

from dotmac_isp.config import Settings
from tests.support.browser import browser_page
from tests.support.customers import make_customer
from tests.support.factories import make_tenant, make_user
from tests.support.live_server import LiveServer, live_server
from tests.web.billing_support import invoice, with_vat

pytestmark = pytest.mark.browser


@dataclass
class Seeded:
    server: LiveServer
    email: str
    password: str
    invoice_id: str
    invoice_number: str


@pytest.fixture(scope="module")
def seeded(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    with live_server(settings, tmp_path_factory.mktemp("money")) as live:
        with live.database.unit_of_work() as session:
            tenant = make_tenant(session, "money-co", name="Money Co")
            staff = make_user(session, live.settings, tenant, "billing",
                              email="billing@money-co.example")
            with_vat(session, tenant)
            unpaid = invoice(session, tenant, make_customer(session, tenant).id, "100.00",
                             on=date.today())
            made = Seeded(live, staff.user.email, staff.password, str(unpaid.id),
                          unpaid.number or "")
        yield made


def test_mistyped_amount_refused_then_payment_voided_and_invoice_open(seeded: Seeded) -> None:
    with browser_page() as page:
        page.goto(f"{seeded.server.url}/admin/login")
        page.fill("#email", seeded.email)
        page.fill("#password", seeded.password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{seeded.server.url}/admin")
        page.goto(f"{seeded.server.url}/admin/invoices/{seeded.invoice_id}")
        assert page.locator("[data-testid=balance-due]").inner_text() == "107.50 USD"
        page.click("a[data-action=record-payment]")
        page.select_option("#method", "cash")
        page.fill("#amount", "1e9")
        page.click("button[data-action=record-payment]")
        error = page.locator("[data-testid=form-error]").inner_text()
        assert "digits and a decimal point only" in error and "1e9" in error
        assert page.locator("#amount").input_value() == "1e9"  # kept to correct
        page.goto(f"{seeded.server.url}/admin/payments")
        assert "PAY-" not in page.locator("main").inner_text()  # nothing was recorded

        page.goto(f"{seeded.server.url}/admin/invoices/{seeded.invoice_id}")
        page.click("a[data-action=record-payment]")
        page.select_option("#method", "cash")
        page.fill("#amount", "107.50")
        page.click("button[data-action=record-payment]")
        page.wait_for_url("**/admin/payments/*")
        assert "recorded" in page.locator(".flash").inner_text()
        page.fill("#void_reason", "recorded for the wrong customer")
        page.once("dialog", lambda dialog: dialog.accept())  # the confirm() before a void
        page.click("button[data-action=void-payment]")
        page.wait_for_selector("[data-testid=payment-voided]")
        assert "recorded for the wrong customer" in page.locator(
            "[data-testid=void-notice]").inner_text()
        page.goto(f"{seeded.server.url}/admin/invoices/{seeded.invoice_id}")
        assert page.locator("h1 .badge").inner_text() == "issued"
        assert page.locator("[data-testid=balance-due]").inner_text() == "107.50 USD"
