"""Real-browser billing: staff record a payment and watch the invoice become paid; the run
history's "run now" on a real SQLite file finishes (it must not wait on the page's lock)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest

from dotmac_isp.config import Settings
from tests.modules.billing.helpers import world
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
    with live_server(settings, tmp_path_factory.mktemp("billing")) as live:
        with live.database.unit_of_work() as session:
            tenant = make_tenant(session, "fibre-co", name="Fibre Co")
            staff = make_user(session, live.settings, tenant, "billing",
                              email="billing@fibre-co.example")
            with_vat(session, tenant)
            billing = world(session, live.settings, tenant)
            billing.subscribe(date(2026, 1, 1))
            unpaid = invoice(session, tenant, make_customer(session, tenant).id, "100.00",
                             on=date.today())
            made = Seeded(live, staff.user.email, staff.password, str(unpaid.id),
                          unpaid.number or "")
        yield made


def sign_in(page, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{seeded.server.url}/admin/login")
    page.fill("#email", seeded.email)
    page.fill("#password", seeded.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{seeded.server.url}/admin")


def test_record_a_payment_and_the_invoice_is_paid(seeded: Seeded) -> None:
    with browser_page() as page:
        sign_in(page, seeded)
        page.click("nav >> text=Invoices")
        page.click(f"[data-testid=invoice-table] >> text={seeded.invoice_number}")
        assert page.locator("h1 .badge").inner_text() == "issued"
        assert page.locator("[data-testid=balance-due]").inner_text() == "107.50 USD"
        page.click("a[data-action=record-payment]")
        page.select_option("#method", "cash")
        page.fill("#amount", "10O")  # a typo is shown on the page, the form kept
        page.click("button[data-action=record-payment]")
        assert "Amount: a number" in page.locator("[data-testid=form-error]").inner_text()
        page.fill("#amount", "107.50")
        page.click("button[data-action=record-payment]")
        page.wait_for_url("**/admin/payments/*")
        assert "recorded" in page.locator(".flash").inner_text()
        page.click(f"[data-testid=allocation-table] >> text={seeded.invoice_number}")
        assert page.locator("h1 .badge").inner_text() == "paid"
        assert page.locator("[data-testid=balance-due]").inner_text() == "0.00 USD"
        pdf = page.request.get(f"{seeded.server.url}/admin/invoices/{seeded.invoice_id}/pdf")
        assert pdf.ok and pdf.body().startswith(b"%PDF")


def test_run_now_finishes_on_a_real_database(seeded: Seeded) -> None:
    with browser_page() as page:
        sign_in(page, seeded)
        page.goto(f"{seeded.server.url}/admin/billing/runs")
        page.click("[data-action=run-now]")
        page.wait_for_url("**/admin/billing/runs")
        deadline = time.monotonic() + 20
        while "completed" not in page.locator("[data-testid=run-table]").inner_text():
            assert time.monotonic() < deadline, "the run did not finish"
            time.sleep(0.2)
            page.reload()
        first_row = page.locator("[data-testid=run-table] tbody tr").first.inner_text()
        assert "completed" in first_row
