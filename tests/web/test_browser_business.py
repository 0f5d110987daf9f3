"""Real-browser paths through the demo ISP: find a customer, suspend and restore a service
with confirmation, and a customer signing in to the portal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dotmac_isp import demo, demo_business
from dotmac_isp.config import Settings
from tests.support.browser import browser_page
from tests.support.live_server import LiveServer, live_server

pytestmark = pytest.mark.browser
CONFIRM = "form[action*=confirm] button[type=submit]"


@pytest.fixture(scope="module")
def server(settings: Settings, demo_sqlite_file: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(settings, tmp_path_factory.mktemp("demo"),
                     demo_file=demo_sqlite_file) as live:
        yield live


def sign_in(page, server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server.url}/admin/login")
    page.fill("#email", demo.DEMO_ADMIN_EMAIL)
    page.fill("#password", demo.DEMO_ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/admin")


def test_live_search_then_suspend_and_restore_with_confirmation(server: LiveServer) -> None:
    with browser_page() as page:
        sign_in(page, server)
        page.click("nav >> text=Customers")
        rows = page.locator("[data-testid=customer-table] tbody tr")
        assert rows.count() == 25
        page.fill("#q", demo_business.PORTAL_LOGIN)  # HTMX swaps the table as you type
        page.wait_for_function("() => document.querySelectorAll("
                               "'[data-testid=customer-table] tbody tr').length === 1")
        assert page.url.endswith("/admin/customers")  # no page load happened
        page.click("[data-testid=customer-table] tbody a")
        page.click("[data-testid=subscription-table] tbody a >> nth=0")
        assert page.locator("h1 [data-status]").inner_text() == "active"
        page.click("[data-action=suspend]")
        assert "loses service" in page.content()
        page.fill("#reason", "unpaid invoice INV-0042")
        page.click(CONFIRM)
        assert page.locator("h1 [data-status]").inner_text() == "suspended"
        assert "unpaid invoice INV-0042" in page.locator("[data-testid=history-table]").inner_text()
        page.click("[data-action=restore]")
        page.click(CONFIRM)
        assert page.locator("h1 [data-status]").inner_text() == "active"
        page.click("text=show")
        assert len(page.locator("[data-testid=radius-password]").inner_text()) == 12


def test_customer_signs_in_to_the_portal(server: LiveServer) -> None:
    with browser_page() as page:
        page.goto(f"{server.url}/portal")
        page.wait_for_url(f"{server.url}/portal/demo/login?next=/portal/demo")
        page.fill("#login", demo_business.PORTAL_LOGIN)
        page.fill("#password", demo_business.PORTAL_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/portal/demo")
        assert page.locator("[data-testid=customer-name]").inner_text()
        services = page.locator("[data-testid=portal-services] tbody tr")
        assert services.count() >= 1
        page.click("text=Sign out")
        page.wait_for_url(f"{server.url}/portal/demo/login")
