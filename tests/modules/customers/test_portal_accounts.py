"""Portal logins: created by staff (password shown once), reset by email, enabled/disabled."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import MailSettings, Settings
from dotmac_isp.main import create_app
from dotmac_isp.modules.identity.models import Tenant
from tests.conftest import RollbackDatabase
from tests.support.customers import make_customer
from tests.support.factories import StaffUser
from tests.support.smtp import Inbox, smtp_server
from tests.web.test_admin_pages import csrf_of


@pytest.fixture
def mail_client(settings: Settings, db: RollbackDatabase) -> Iterator[tuple[TestClient, Inbox]]:
    with smtp_server() as (inbox, port):
        mailed = settings.model_copy(update={"mail": MailSettings(smtp_host="127.0.0.1",
                                                                  smtp_port=port)})
        with TestClient(create_app(mailed, db, configure_logs=False)) as client:  # type: ignore[arg-type]
            yield client, inbox


def portal_login(client: TestClient, slug: str, login: str, password: str):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get(f"/portal/{slug}/login").text)
    return client.post(f"/portal/{slug}/login", data={"csrf_token": token, "login": login,
                                                      "password": password},
                       follow_redirects=False)


def test_staff_create_a_portal_login_with_a_generated_password(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    customer = make_customer(session, tenant, email="Kemi@Home.example")
    created = client.post(f"/api/v1/customers/{customer.id}/portal-account",
                          headers=admin.headers, json={})
    assert created.status_code == 201
    body = created.json()
    assert body["login"] == "kemi@home.example" and len(body["password"]) >= 12
    assert "password" not in client.get(f"/api/v1/customers/{customer.id}/portal-account",
                                        headers=admin.headers).json()
    again = client.post(f"/api/v1/customers/{customer.id}/portal-account",
                        headers=admin.headers, json={})
    assert again.status_code == 409
    assert portal_login(client, tenant.slug, "kemi@home.example",
                        body["password"]).status_code == 303
    client.post(f"/api/v1/customers/{customer.id}/portal-account/disable",
                headers=admin.headers)
    assert portal_login(client, tenant.slug, "kemi@home.example",
                        body["password"]).status_code == 401


def test_logins_are_per_tenant(client: TestClient, admin: StaffUser, other_admin: StaffUser,
                               session: Session, tenant: Tenant, other_tenant: Tenant) -> None:
    mine = make_customer(session, tenant, email="same@home.example")
    theirs = make_customer(session, other_tenant, email="same@home.example")
    for staff, customer, password in ((admin, mine, "first-tenant-pw"),
                                      (other_admin, theirs, "second-tenant-pw")):
        assert client.post(f"/api/v1/customers/{customer.id}/portal-account",
                           headers=staff.headers,
                           json={"password": password}).status_code == 201
    assert portal_login(client, tenant.slug, "same@home.example",
                        "second-tenant-pw").status_code == 401
    assert portal_login(client, other_tenant.slug, "same@home.example",
                        "second-tenant-pw").status_code == 303


def test_portal_password_reset_by_email(mail_client: tuple[TestClient, Inbox],
                                        admin: StaffUser, session: Session,
                                        tenant: Tenant) -> None:
    client, inbox = mail_client
    customer = make_customer(session, tenant, email="reset.me@home.example")
    client.post(f"/api/v1/customers/{customer.id}/portal-account", headers=admin.headers,
                json={"password": "original-portal-pw"})
    token = csrf_of(client.get(f"/portal/{tenant.slug}/forgot-password").text)
    sent = client.post(f"/portal/{tenant.slug}/forgot-password",
                       data={"csrf_token": token, "login": "reset.me@home.example"})
    assert "emailed a reset link" in sent.text
    [message] = inbox.wait_for(1)
    body = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    link = re.search(r"(/portal/[^/]+/reset-password\?token=\S+)", body)
    assert link and message["To"] == "reset.me@home.example"
    raw = unquote(link.group(1).split("token=")[1])
    page = client.get(link.group(1))
    done = client.post(f"/portal/{tenant.slug}/reset-password", data={
        "csrf_token": csrf_of(page.text), "token": raw, "password": "brand-new-portal-pw"})
    assert "password has been changed" in done.text
    assert portal_login(client, tenant.slug, "reset.me@home.example",
                        "brand-new-portal-pw").status_code == 303
    fresh = client.get(link.group(1))  # signing in gave the session a new CSRF token
    reused = client.post(f"/portal/{tenant.slug}/reset-password", data={
        "csrf_token": csrf_of(fresh.text), "token": raw, "password": "another-portal-pw"})
    assert reused.status_code == 422 and "expired" in reused.text
