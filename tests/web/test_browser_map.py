"""Chromium opens the map of the demo ISP with no tile server configured: the points are drawn
on a plain background, fitted to them; the markers per layer match the demo's sites, devices
and placed customers; a popup names its customer and links to the page; a layer toggles off;
the coverage check answers for a point in the fibre area and in its hole."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dotmac_isp import demo
from dotmac_isp.config import Settings
from dotmac_isp.modules.customers.models import Address
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.devices.models import Site
from tests.support.browser import browser_page
from tests.support.live_server import LiveServer, live_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(settings: Settings, demo_sqlite_file: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, int, int]]:
    with live_server(settings, tmp_path_factory.mktemp("browser-map"),
                     demo_file=demo_sqlite_file) as live:
        with live.database.unit_of_work() as session:
            tenant_id = session.scalars(select(Tenant.id).where(
                Tenant.slug == demo.DEMO_TENANT_SLUG)).one()
            sites = session.scalar(select(func.count()).select_from(Site).where(
                Site.tenant_id == tenant_id, Site.latitude.is_not(None))) or 0
            customers = session.scalar(select(func.count()).select_from(Address).where(
                Address.tenant_id == tenant_id, Address.kind == "service",
                Address.latitude.is_not(None))) or 0
        yield live, sites, customers


def test_the_demo_map_draws_its_sites_and_customers_without_tiles(
        server: tuple[LiveServer, int, int]) -> None:
    live, sites, customers = server
    assert sites == 2 and customers > 50  # the demo placed them
    with browser_page() as page:
        page.goto(f"{live.url}/admin/login")
        page.fill("#email", demo.DEMO_ADMIN_EMAIL)
        page.fill("#password", demo.DEMO_ADMIN_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live.url}/admin")
        page.click("nav >> text=Map")
        page.wait_for_url(f"{live.url}/admin/map")
        page.wait_for_selector("#map[data-ready='1']")
        assert page.locator(".leaflet-tile").count() == 0  # plain background, no tile layer
        assert page.locator("img.leaflet-marker-icon.map-site").count() == sites
        assert page.locator("path.map-customer").count() == customers
        assert page.locator("path.map-device").count() == 4
        assert page.locator("path.map-coverage").count() == 2
        assert page.locator("path.map-customer-active").count() > 0
        assert page.locator("path.map-customer-suspended").count() > 0
        assert page.locator("[data-testid=map-capped]").is_hidden()
        box = page.locator("#map").bounding_box()
        assert box is not None and box["height"] > 300

        # a site's popup, then a customer's, which opens the customer's page
        page.locator("img.map-site[title='Lagos POP']").click()
        popup = page.locator(".leaflet-popup-content").last
        assert "Lagos POP" in popup.inner_text() and "12 Marina Road" in popup.inner_text()
        page.locator(".leaflet-popup-close-button").click()
        page.locator("path.map-customer").first.dispatch_event("click")
        popup = page.locator(".leaflet-popup-content", has_text="service:")
        text = popup.inner_text()
        assert "service:" in text and "(C" in text  # the customer's name and number
        href = popup.locator("[data-testid=popup-link]").get_attribute("href") or ""
        assert href.startswith("/admin/customers/")
        popup.locator("[data-testid=popup-link]").click()
        page.wait_for_url(f"{live.url}{href}")
        assert page.locator("[data-testid=address-coordinates]").first.inner_text().startswith(
            "(6.")

        # a layer toggles off, and the coverage check answers
        page.go_back()
        page.wait_for_selector("#map[data-ready='1']")
        page.uncheck("[data-testid=toggle-customers]")
        assert page.locator("path.map-customer").count() == 0
        page.fill("#cov-lat", "6.4541")
        page.fill("#cov-lon", "3.3947")
        page.click("#coverage-form button[type=submit]")
        answer = page.locator("[data-testid=coverage-answer]")
        answer.wait_for()
        assert "Covered by Lagos POP (Island and mainland fibre)" in answer.inner_text()
        assert "Home Fibre 25" in page.locator("[data-testid=coverage-plans]").inner_text()
        page.fill("#cov-lat", "6.48")
        page.fill("#cov-lon", "3.41")  # in the lagoon, the fibre area's hole
        page.click("#coverage-form button[type=submit]")
        page.wait_for_function("() => document.querySelector("
                               "'[data-testid=coverage-answer]').textContent.startsWith('Not')")
