"""Staff pages over HTTP: sign-in with CSRF, lockout and 2FA messages, sign-out, redirects."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity import auth
from dotmac_isp.modules.identity.models import Tenant
from tests.support.factories import StaffUser


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def sign_in(client: TestClient, email: str, password: str, **extra: str):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get("/admin/login").text)
    return client.post("/admin/login", data={"csrf_token": token, "email": email,
                                             "password": password, "next": "/admin", **extra},
                       follow_redirects=False)


def test_admin_redirects_to_sign_in(client: TestClient, tenant: Tenant) -> None:
    response = client.get("/admin", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/login?next=/admin"


def test_sign_in_shows_tenant_user_and_role_then_sign_out(client: TestClient,
                                                          admin: StaffUser) -> None:
    response = sign_in(client, admin.user.email, admin.password)
    assert response.status_code == 303 and response.headers["location"] == "/admin"
    page = client.get("/admin")
    assert page.status_code == 200
    assert "Tenant A Fibre" in page.text and admin.user.email in page.text
    assert 'data-testid="user-role">admin' in page.text
    logout = client.post("/admin/logout", data={"csrf_token": csrf_of(page.text)},
                         follow_redirects=False)
    assert logout.status_code == 303
    assert client.get("/admin", follow_redirects=False).status_code == 303


def test_forms_without_a_valid_csrf_token_are_refused(client: TestClient,
                                                      admin: StaffUser) -> None:
    client.get("/admin/login")
    forged = client.post("/admin/login", data={"csrf_token": "forged", "email": admin.user.email,
                                                "password": admin.password})
    assert forged.status_code == 403 and "expired" in forged.text
    assert sign_in(client, admin.user.email, admin.password).status_code == 303
    no_token = client.post("/admin/logout", data={}, follow_redirects=False)
    assert no_token.status_code == 403
    assert client.get("/admin").status_code == 200  # still signed in


def test_wrong_password_shows_a_message_and_lockout_is_explained(client: TestClient,
                                                                 admin: StaffUser) -> None:
    wrong = sign_in(client, admin.user.email, "wrong-password-here")
    assert wrong.status_code == 401 and "invalid email or password" in wrong.text
    for _ in range(4):
        sign_in(client, admin.user.email, "wrong-password-here")
    locked = sign_in(client, admin.user.email, admin.password)
    assert locked.status_code == 423 and "locked" in locked.text


def test_open_redirects_are_refused(client: TestClient, admin: StaffUser) -> None:
    token = csrf_of(client.get("/admin/login").text)
    response = client.post("/admin/login", data={
        "csrf_token": token, "email": admin.user.email, "password": admin.password,
        "next": "https://evil.example/admin"}, follow_redirects=False)
    assert response.headers["location"] == "/admin"


def test_password_change_ends_page_sessions(client: TestClient, admin: StaffUser) -> None:
    sign_in(client, admin.user.email, admin.password)
    assert client.get("/admin").status_code == 200
    changed = client.post("/api/v1/auth/password", headers=admin.headers, json={
        "current_password": admin.password, "new_password": "changed-elsewhere-pw"})
    assert changed.status_code == 204
    assert client.get("/admin", follow_redirects=False).status_code == 303


def test_reset_password_page(client: TestClient, admin: StaffUser, session: Session,
                             settings: Settings) -> None:
    token, _stored = auth.issue_password_reset(session, settings, admin.user)
    page = client.get(f"/admin/reset-password?token={token}")
    csrf = csrf_of(page.text)
    differ = client.post("/admin/reset-password", data={
        "csrf_token": csrf, "token": token, "password": "new-page-password",
        "password_confirm": "something-else"})
    assert differ.status_code == 422 and "differ" in differ.text
    done = client.post("/admin/reset-password", data={
        "csrf_token": csrf, "token": token, "password": "new-page-password",
        "password_confirm": "new-page-password"})
    assert done.status_code == 200 and "password has been changed" in done.text
    assert sign_in(client, admin.user.email, "new-page-password").status_code == 303


def test_static_assets_are_served_locally(client: TestClient) -> None:
    page = client.get("/admin/login").text
    assert "/static/htmx.min.js" in page and "//" not in page.split("/static/htmx.min.js")[0][-5:]
    assert "https://" not in page and "http://" not in page
    assert client.get("/static/htmx.min.js").status_code == 200
    assert client.get("/static/app.css").status_code == 200
