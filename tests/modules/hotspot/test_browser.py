"""In Chromium: staff print a batch's cards (the PDF's text read back with pdftotext holds
every code), and a guest signs in on the captive portal, which posts the code to the
hotspot router (a stand-in on loopback records what arrives)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dotmac_isp.config import Settings
from dotmac_isp.modules.hotspot import schemas, service, sites
from tests.modules.hotspot.nas_login import nas_login_server
from tests.modules.hotspot.support import make_batch, make_voucher_plan
from tests.modules.hotspot.test_api import pdf_text
from tests.support.browser import browser_page
from tests.support.factories import make_tenant, make_user
from tests.support.live_server import LiveServer, live_server

pytestmark = pytest.mark.browser


@dataclass
class Seeded:
    server: LiveServer
    email: str
    password: str
    slug: str
    site_id: str
    batch_id: str
    codes: list[str]


@pytest.fixture(scope="module")
def seeded(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    with live_server(settings, tmp_path_factory.mktemp("hotspot")) as live:
        with live.database.unit_of_work() as session:
            tenant = make_tenant(session, "cafe-net", name="Cafe Net")
            staff = make_user(session, live.settings, tenant, "admin",
                              email="owner@cafe-net.example")
            plan = make_voucher_plan(session, tenant, name="Two hours")
            batch = make_batch(session, tenant, plan, 12, name="Counter")
            site = sites.create_site(session, tenant.id, schemas.SiteCreate(
                name="Terrace", title="Terrace Wi-Fi", terms="No streaming of films."))
            codes = [v.code for v in service.batch_vouchers(session, tenant.id, batch.id)]
            made = Seeded(live, staff.user.email, staff.password, tenant.slug, str(site.id),
                          str(batch.id), codes)
        yield made


def test_staff_print_the_cards_and_the_pdf_holds_every_code(seeded: Seeded) -> None:
    with browser_page() as page:
        page.goto(f"{seeded.server.url}/admin/login")
        page.fill("#email", seeded.email)
        page.fill("#password", seeded.password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{seeded.server.url}/admin")
        page.click("nav >> text=Hotspot")
        page.click("[data-testid=batch-table] >> text=Counter")
        with page.expect_download() as download:
            page.click("[data-testid=cards-pdf]")
        content = Path(download.value.path()).read_bytes()
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    assert all(code in text for code in seeded.codes)
    assert "Cafe Net" in text and "Two hours" in text


def test_a_guest_signs_in_and_the_code_reaches_the_router(seeded: Seeded) -> None:
    code = seeded.codes[0]
    with nas_login_server() as nas, browser_page() as page:
        page.goto(f"{seeded.server.url}/hotspot/{seeded.slug}/{seeded.site_id}/login"
                  f"?link-login-only={nas.url}&link-orig=http://example.org/news"
                  f"&mac=AA:BB:CC:00:00:01&ip=10.5.50.20")
        assert page.locator("h1").inner_text() == "Terrace Wi-Fi"
        assert page.locator("[data-testid=hotspot-tenant]").inner_text() == "Cafe Net"
        # typed as people do: lower case, a dash in the middle
        page.fill("#code", f"{code[:5].lower()}-{code[5:].lower()}")
        page.click("button[data-action=connect]")
        # the terms are not accepted yet: the browser keeps the form here
        assert page.locator("#terms:invalid").count() == 1
        assert nas.posts == []
        page.check("#terms")
        page.click("button[data-action=connect]")
        page.wait_for_selector("#status")
        assert page.locator("#status").inner_text() == "You are logged in"
    assert len(nas.posts) == 1
    posted = nas.posts[0]
    assert (posted["username"], posted["password"]) == (code, code)
    assert posted["dst"] == "http://example.org/news"
