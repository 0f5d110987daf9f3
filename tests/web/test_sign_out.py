"""Signing out ends the page session on the server: a copy of the cookie taken before sign-out
is refused afterwards, on the staff pages and in the customer portal."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.modules.identity.models import Tenant, WebSession
from tests.modules.customers.test_portal_accounts import portal_login
from tests.support.customers import make_customer
from tests.support.factories import StaffUser
from tests.web.test_admin_pages import csrf_of, sign_in

COOKIE = "dotmac_session"


def _with_cookie(app: FastAPI, value: str) -> TestClient:
    other = TestClient(app)
    other.cookies.set(COOKIE, value)
    return other


def test_staff_sign_out_ends_the_session_for_every_copy_of_the_cookie(
        client: TestClient, app: FastAPI, admin: StaffUser, session: Session) -> None:
    assert sign_in(client, admin.user.email, admin.password).status_code == 303
    captured = client.cookies[COOKIE]
    assert _with_cookie(app, captured).get("/admin").status_code == 200
    token = csrf_of(client.get("/admin").text)
    out = client.post("/admin/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    replayed = _with_cookie(app, captured).get("/admin", follow_redirects=False)
    assert replayed.status_code == 303 and "/admin/login" in replayed.headers["location"]
    ended = session.scalars(select(WebSession).where(WebSession.subject_id == admin.user.id))
    assert [row.ended_at is not None for row in ended] == [True]
    # signing in again opens a new session; the old cookie stays dead
    assert sign_in(client, admin.user.email, admin.password).status_code == 303
    assert client.get("/admin").status_code == 200
    assert _with_cookie(app, captured).get("/admin", follow_redirects=False).status_code == 303


def test_portal_sign_out_ends_the_session_for_every_copy_of_the_cookie(
        client: TestClient, app: FastAPI, admin: StaffUser, session: Session,
        tenant: Tenant) -> None:
    customer = make_customer(session, tenant, email="ada@home.example")
    assert client.post(f"/api/v1/customers/{customer.id}/portal-account", headers=admin.headers,
                       json={"password": "portal-password-1"}).status_code == 201
    home = f"/portal/{tenant.slug}"
    assert portal_login(client, tenant.slug, "ada@home.example",
                        "portal-password-1").status_code == 303
    captured = client.cookies[COOKIE]
    assert _with_cookie(app, captured).get(home).status_code == 200
    token = csrf_of(client.get(home).text)
    out = client.post(f"{home}/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    replayed = _with_cookie(app, captured).get(home, follow_redirects=False)
    assert replayed.status_code == 303 and f"{home}/login" in replayed.headers["location"]


def test_a_cookie_without_a_server_session_is_refused(client: TestClient, app: FastAPI,
                                                      admin: StaffUser,
                                                      session: Session) -> None:
    assert sign_in(client, admin.user.email, admin.password).status_code == 303
    captured = client.cookies[COOKIE]
    for row in session.scalars(select(WebSession).where(WebSession.subject_id == admin.user.id)):
        session.delete(row)
    session.flush()
    assert _with_cookie(app, captured).get("/admin", follow_redirects=False).status_code == 303
