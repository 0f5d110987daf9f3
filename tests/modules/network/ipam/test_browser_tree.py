"""A real browser opens the prefix tree: nesting, utilization bars, a pool, a live search."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from dotmac_isp.config import Settings
from dotmac_isp.modules.network.ipam.enums import PoolKind
from tests.modules.network.ipam.factories import make_pool, make_prefix, take
from tests.support.browser import browser_page
from tests.support.factories import make_tenant, make_user
from tests.support.live_server import LiveServer, live_server

pytestmark = pytest.mark.browser
EMAIL, PASSWORD = "noc@ipam-browser.example", "browser-pass-123"
HOLDER = uuid.UUID("7f3c1d2e-0000-4000-8000-000000000042")


@pytest.fixture(scope="module")
def server(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(settings, tmp_path_factory.mktemp("ipam-browser")) as live:
        with live.database.unit_of_work() as session:
            tenant = make_tenant(session, "ipam-browser", name="Tree Fibre")
            make_user(session, settings, tenant, "network_engineer", email=EMAIL,
                      password=PASSWORD)
            make_prefix(session, tenant, "100.64.0.0/10")
            make_prefix(session, tenant, "100.64.0.0/16")
            pool = make_pool(session, tenant, "100.64.1.0/29", name="cgnat-1",
                             gateway="100.64.1.1", threshold=80)
            for _ in range(4):
                take(session, pool)
            take(session, pool, "100.64.1.6", holder_id=HOLDER)
            make_pool(session, tenant, "2001:db8:100::/48", name="pd-1",
                      kind=PoolKind.DELEGATION, delegated_length=56)
        yield live


def test_prefix_tree_in_chromium(server: LiveServer) -> None:
    with browser_page() as page:
        page.goto(f"{server.url}/admin/ipam")
        page.fill("#email", EMAIL)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/admin/ipam")

        rows = page.locator("[data-testid=prefix-row]")
        assert [(rows.nth(i).get_attribute("data-network"), rows.nth(i).get_attribute(
            "data-depth")) for i in range(rows.count())] == [
            ("100.64.0.0/10", "0"), ("100.64.0.0/16", "1"), ("100.64.1.0/29", "2"),
            ("2001:db8:100::/48", "0")]
        # deeper rows are drawn further right
        x = [rows.nth(i).locator("td.net").evaluate(
            "td => td.firstElementChild.getBoundingClientRect().width") for i in range(3)]
        assert x[0] < x[1] < x[2]
        pool_row = rows.nth(2)
        bar = pool_row.locator("[data-testid=usage]")
        assert bar.get_attribute("data-percent") == "100.0"  # gateway + 5 of 6 usable
        assert "over" in (bar.get_attribute("class") or "")
        fill = bar.locator(".ipam-bar span").evaluate("s => s.getBoundingClientRect().width")
        track = bar.locator(".ipam-bar").evaluate("t => t.getBoundingClientRect().width")
        assert fill == pytest.approx(track, abs=1)
        assert "cgnat-1" in page.locator("[data-testid=open-alerts]").inner_text()

        pool_row.locator("[data-testid=pool-link]").click()
        page.wait_for_selector("[data-testid=pool-name]")
        assert page.locator("[data-testid=pool-name]").inner_text().startswith("cgnat-1")
        assert page.locator("[data-testid=allocation-row]").count() == 6

        page.goto(f"{server.url}/admin/ipam")
        page.fill("#ipam-q", "100.64.1.6")
        page.wait_for_selector("[data-testid=search-allocation]")  # HTMX swapped results in
        assert str(HOLDER) in page.locator("#search-results").inner_text()
        assert page.url == f"{server.url}/admin/ipam"
