"""A real browser signs in to the staff pages, sees who and where it is, and signs out."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dotmac_isp.config import Settings
from tests.support.browser import browser_page
from tests.support.factories import make_tenant, make_user
from tests.support.live_server import LiveServer, live_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(settings, tmp_path_factory.mktemp("browser")) as live:
        with live.database.unit_of_work() as session:
            tenant = make_tenant(session, "browser-isp", name="Browser Fibre Ltd")
            make_user(session, settings, tenant, "support", email="agent@browser.example",
                      password="browser-pass-123")
        yield live


def test_sign_in_and_out_in_chromium(server: LiveServer) -> None:
    with browser_page() as page:
        page.goto(f"{server.url}/admin")
        assert page.url.endswith("/admin/login?next=/admin")
        page.fill("#email", "agent@browser.example")
        page.fill("#password", "wrong-password")
        page.click("button[type=submit]")
        assert page.locator("[data-testid=login-error]").inner_text() == \
            "invalid email or password"
        page.fill("#password", "browser-pass-123")
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/admin")
        assert page.locator("[data-testid=tenant-name]").inner_text().startswith(
            "Browser Fibre Ltd")
        assert "agent@browser.example" in page.locator("[data-testid=user-email]").inner_text()
        assert page.locator("[data-testid=user-role]").inner_text().startswith("support")
        assert page.evaluate("typeof htmx") == "object"  # the locally served HTMX loaded
        page.click("text=Sign out")
        page.wait_for_url(f"{server.url}/admin/login")
        page.goto(f"{server.url}/admin")
        assert "/admin/login" in page.url


def test_pages_run_under_the_content_security_policy(server: LiveServer) -> None:
    """HTMX and the confirm prompt work, and the browser reports no policy violation."""
    with browser_page() as page:
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        page.goto(f"{server.url}/admin/login")
        assert "frame-ancestors 'none'" in (page.evaluate(
            "fetch(location.href).then(r => r.headers.get('content-security-policy'))") or "")
        assert page.evaluate("typeof htmx") == "object"
        page.evaluate("""() => {
            const form = document.createElement('form');
            form.method = 'get'; form.action = '/admin/forgot-password';
            form.setAttribute('data-confirm', 'Really go?');
            form.innerHTML = '<button id="go" type="submit">Go</button>';
            document.body.appendChild(form);
        }""")
        questions: list[str] = []

        def answer(dialog, accept: bool) -> None:  # type: ignore[no-untyped-def]
            questions.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        page.once("dialog", lambda d: answer(d, False))
        page.click("#go")
        page.wait_for_timeout(300)
        assert page.url.endswith("/admin/login") and questions == ["Really go?"]
        page.once("dialog", lambda d: answer(d, True))
        page.click("#go")
        page.wait_for_url("**/admin/forgot-password*")
        page.goto(f"{server.url}/admin/login")
        page.fill("#email", "agent@browser.example")
        page.fill("#password", "browser-pass-123")
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/admin")
    assert [m for m in console if "Content Security Policy" in m] == []
