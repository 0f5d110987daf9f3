"""Errors on staff and portal pages are HTML pages a person can read; the API keeps JSON."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support.factories import StaffUser
from tests.web.test_admin_pages import sign_in


def _html(response) -> bool:  # type: ignore[no-untyped-def]
    return response.headers["content-type"].startswith("text/html")


def test_unknown_page_and_wrong_id_are_html_404(client: TestClient, admin: StaffUser) -> None:
    sign_in(client, admin.user.email, admin.password)
    for path in ("/admin/no-such-page", "/admin/customers/not-a-uuid",
                 "/admin/subscriptions/12345", "/admin/customers/"
                 "00000000-0000-0000-0000-000000000000"):
        page = client.get(path)
        assert page.status_code == 404, path
        assert _html(page), path
        assert 'data-testid="error-page"' in page.text and "Not found" in page.text
        assert '"detail"' not in page.text
        if path != "/admin/no-such-page":  # the page's sign-in check ran: the layout stays
            assert admin.user.email in page.text


def test_wrong_id_before_sign_in_still_asks_to_sign_in(client: TestClient,
                                                        admin: StaffUser) -> None:
    response = client.get("/admin/customers/not-a-uuid", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/admin/login")


def test_portal_errors_are_html_with_a_way_back(client: TestClient) -> None:
    page = client.get("/portal/no-such-tenant/nothing/here")
    assert page.status_code == 404 and _html(page)
    assert 'href="/portal"' in page.text


def test_forbidden_page_is_html(client: TestClient, admin: StaffUser) -> None:
    sign_in(client, admin.user.email, admin.password)
    response = client.post("/admin/customers/new", data={"csrf_token": "forged"})
    assert response.status_code == 403 and _html(response)


def test_api_keeps_json_errors(client: TestClient) -> None:
    missing = client.get("/api/v1/no-such-endpoint")
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"
    wrong_id = client.get("/api/v1/customers/not-a-uuid",
                          headers={"Authorization": "Bearer x"})
    assert wrong_id.headers["content-type"].startswith("application/json")


def test_a_crash_on_a_page_is_an_html_500_and_json_on_the_api(app: FastAPI) -> None:
    @app.get("/admin/__crash")
    def crash() -> None:
        raise RuntimeError("boom")

    @app.get("/api/v1/__crash")
    def crash_api() -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as client:
        page = client.get("/admin/__crash")
        assert page.status_code == 500 and _html(page)
        assert "Something went wrong" in page.text and "boom" not in page.text
        api = client.get("/api/v1/__crash")
        assert api.status_code == 500 and api.json()["error"] == "internal_error"
