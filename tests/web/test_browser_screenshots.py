"""Screenshots of the main staff pages on a desktop and a phone, and the manners a browser
sees: no sideways scrolling at 390 px, a menu whose items are readable, visible focus."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from dotmac_isp.config import Settings
from tests.support.browser import browser_page
from tests.support.live_server import LiveServer, live_server
from tests.web.test_browser_business import sign_in

pytestmark = pytest.mark.browser
SCREENS = {"desktop": (1440, 900), "phone": (390, 844)}
SHOTS = Path(os.environ.get("DOTMAC_SCREENSHOTS_DIR",
                            Path(__file__).resolve().parents[2] / "var" / "screenshots"))


@pytest.fixture(scope="module")
def server(settings: Settings, demo_sqlite_file: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(settings, tmp_path_factory.mktemp("shots"),
                     demo_file=demo_sqlite_file) as live:
        yield live


def _pages(page, server: LiveServer) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The overview, a list, a subscription and its customer, found as an operator would."""
    page.goto(f"{server.url}/admin/subscriptions")
    page.click("table tbody a >> nth=0")
    subscription = page.url
    page.click("[data-testid=sub-customer] a")
    customer = page.url
    return {"dashboard": f"{server.url}/admin", "customers": f"{server.url}/admin/customers",
            "customer": customer, "subscription": subscription}


def test_screenshots_and_no_sideways_scrolling_on_a_phone(server: LiveServer) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    overflowing: list[str] = []
    with browser_page() as page:
        sign_in(page, server)
        pages = _pages(page, server)
        for screen, (width, height) in SCREENS.items():
            page.set_viewport_size({"width": width, "height": height})
            for name, url in pages.items():
                page.goto(url)
                assert page.locator("main").is_visible()
                page.screenshot(path=str(SHOTS / f"{name}-{screen}.png"), full_page=True)
                scroll = page.evaluate("document.documentElement.scrollWidth")
                if screen == "phone" and scroll > width:
                    overflowing.append(f"{name}: {scroll}px")
    assert not overflowing, f"pages scroll sideways at 390 px: {overflowing}"
    for name in pages:
        for screen in SCREENS:
            assert (SHOTS / f"{name}-{screen}.png").stat().st_size > 5_000


def test_phone_menu_opens_with_readable_items(server: LiveServer) -> None:
    with browser_page() as page:
        sign_in(page, server)
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{server.url}/admin")
        customers = page.locator("#mainnav >> text=Customers")
        assert not customers.is_visible()  # folded away
        page.click("[data-testid=menu-toggle]")
        assert page.get_attribute("[data-testid=menu-toggle]", "aria-expanded") == "true"
        assert customers.is_visible()
        colours = customers.evaluate("""a => {
            let bg = 'rgba(0, 0, 0, 0)', el = a;
            while (el && (bg === 'rgba(0, 0, 0, 0)' || bg === 'transparent')) {
                bg = getComputedStyle(el).backgroundColor; el = el.parentElement; }
            return [getComputedStyle(a).color, bg]; }""")
        assert colours[0] != colours[1], colours  # never white on white
        box = customers.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "menu-phone.png"))
        page.click("#mainnav >> text=Customers")
        page.wait_for_url(f"{server.url}/admin/customers")


def test_header_search_favicon_and_visible_focus(server: LiveServer) -> None:
    with browser_page() as page:
        sign_in(page, server)
        page.set_viewport_size({"width": 1440, "height": 900})
        page.goto(f"{server.url}/admin")
        icon = page.get_attribute("link[rel=icon]", "href")
        assert icon and page.request.get(f"{server.url}{icon}").ok
        assert page.request.get(f"{server.url}/favicon.ico").ok
        page.fill("input[name=q][aria-label=Search]", "ada")
        page.press("input[name=q][aria-label=Search]", "Enter")
        page.wait_for_url("**/admin/search?q=ada")
        page.goto(f"{server.url}/admin")
        page.keyboard.press("Tab")
        outline = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
            return [s.outlineStyle, s.outlineWidth]; }""")
        assert outline[0] != "none" and outline[1] != "0px", outline
