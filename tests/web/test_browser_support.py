"""Chromium through the support desk: queue -> ticket -> public reply -> the timeline shows it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity import schemas as identity_schemas
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.support import schemas, service
from tests.support.browser import browser_page
from tests.support.customers import make_customer
from tests.support.live_server import LiveServer, live_server

pytestmark = pytest.mark.browser
EMAIL, PASSWORD = "agent@browser.example", "agent-browser-pass"


@pytest.fixture(scope="module")
def server(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(settings, tmp_path_factory.mktemp("support")) as live:
        with live.database.unit_of_work() as session:
            tenant = identity_service.create_tenant(session, name="Browser Fibre",
                                                    slug="browser", timezone="Europe/London")
            role = identity_service.role_by_name(session, tenant.id, "support")
            identity_service.create_user(session, live.settings, tenant.id,
                                         identity_schemas.UserCreate(
                                             email=EMAIL, full_name="Sam Support",
                                             password=PASSWORD, role_id=role.id))
            customer = make_customer(session, tenant, first_name="Kemi", last_name="Bello")
            for subject in ("Router keeps rebooting", "Invoice question"):
                service.create_ticket(session, tenant.id, schemas.TicketCreate(
                    customer_id=customer.id, subject=subject, priority="high",  # type: ignore[arg-type]
                    description="It started yesterday evening."))
        yield live


def test_from_the_queue_to_a_ticket_and_a_public_reply(server: LiveServer) -> None:
    with browser_page() as page:
        page.goto(f"{server.url}/admin/login")
        page.fill("#email", EMAIL)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/admin")
        page.click("nav >> text=Support")
        rows = page.locator("[data-testid=ticket-table] tbody tr")
        assert rows.count() == 2
        page.fill("#q", "rebooting")  # HTMX narrows the queue as you type
        page.wait_for_function("() => document.querySelectorAll("
                               "'[data-testid=ticket-table] tbody tr').length === 1")
        row = page.locator("[data-testid=ticket-table] tbody tr").first
        assert row.locator("[data-sla]").first.get_attribute("data-sla") == "running"
        row.locator("a").click()
        assert "Router keeps rebooting" in page.locator("h1").inner_text()
        assert page.locator("h1 .badge").inner_text() == "new"
        page.fill("#body", "Please send us a photo of the lights on the router.")
        page.select_option("#reply-status", "pending_customer")
        page.click("[data-testid=reply-form] button[type=submit]")
        page.wait_for_selector(".flash")
        assert page.locator(".flash").inner_text() == "Reply sent."
        badge = page.locator("h1 .badge")
        assert badge.inner_text() == "pending customer"  # printed for people
        assert badge.get_attribute("data-status") == "pending_customer"
        timeline = page.locator("[data-testid=timeline]").inner_text()
        assert "Please send us a photo of the lights on the router." in timeline
        assert "Sam Support" in timeline and "SLA clock paused" in timeline
        panel = page.locator("[data-testid=sla-panel]")
        assert panel.locator("[data-sla]").nth(0).get_attribute("data-sla") == "met"
        assert panel.locator("[data-sla]").nth(1).get_attribute("data-sla") == "paused"
