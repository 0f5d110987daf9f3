"""A real browser opens a fresh installation, sets up the ISP, then signs in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dotmac_isp.config import Settings
from tests.support.browser import browser_page
from tests.support.live_server import LiveServer, live_server

pytestmark = pytest.mark.browser


@pytest.fixture
def server(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(settings, tmp_path_factory.mktemp("first-run")) as live:
        yield live  # an empty, migrated database: no tenant, no user


def test_first_run_setup_then_sign_in(server: LiveServer) -> None:
    with browser_page() as page:
        page.goto(f"{server.url}/")
        page.wait_for_url("**/admin/setup")
        page.fill("#isp_name", "Browser Setup Networks")
        page.fill("#currency", "EUR")
        page.fill("#timezone", "Europe/Berlin")
        page.fill("#tax_rate", "19")
        page.fill("#email", "founder@setup.example")
        page.fill("#full_name", "Fay Founder")
        page.fill("#password", "founder-pass-123")
        page.fill("#password_confirm", "founder-pass-1234")
        page.click("button[type=submit]")
        assert "the two passwords differ" in page.locator("[data-testid=form-errors]").inner_text()
        assert page.input_value("#isp_name") == "Browser Setup Networks"
        page.fill("#password", "founder-pass-123")
        page.fill("#password_confirm", "founder-pass-123")
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/admin/login")
        assert "Browser Setup Networks is set up" in page.inner_text("main")
        page.fill("#email", "founder@setup.example")
        page.fill("#password", "founder-pass-123")
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/admin")
        assert page.inner_text("[data-testid=signed-in-as]") == "founder@setup.example"
        page.goto(f"{server.url}/admin/setup")
        assert "already set up" in page.inner_text("main")
