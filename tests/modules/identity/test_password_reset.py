"""Password reset by email, through a real SMTP server on loopback."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import unquote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import MailSettings, Settings
from dotmac_isp.main import create_app
from dotmac_isp.modules.identity import schemas, service
from dotmac_isp.modules.identity.auth import principal_for_user
from dotmac_isp.modules.identity.models import Tenant
from tests.conftest import RollbackDatabase
from tests.support.factories import StaffUser, make_user
from tests.support.smtp import Inbox, smtp_server


@pytest.fixture
def mail_client(settings: Settings, db: RollbackDatabase) -> Iterator[tuple[TestClient, Inbox]]:
    with smtp_server() as (inbox, port):
        mailed = settings.model_copy(update={"mail": MailSettings(
            smtp_host="127.0.0.1", smtp_port=port, sender="ISP <noc@isp.example>")})
        app: FastAPI = create_app(mailed, db, configure_logs=False)  # type: ignore[arg-type]
        with TestClient(app) as client:
            yield client, inbox


def _token_from(inbox: Inbox) -> str:
    [message] = inbox.wait_for(1)
    body = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    match = re.search(r"reset-password\?token=(\S+)", body)
    assert match, body
    return unquote(match.group(1))


def test_reset_by_email_sets_a_new_password_once(mail_client: tuple[TestClient, Inbox],
                                                 admin: StaffUser) -> None:
    client, inbox = mail_client
    asked = client.post("/api/v1/auth/password-reset/request", json={"email": admin.user.email})
    assert asked.status_code == 202
    token = _token_from(inbox)
    assert inbox.messages[0]["To"] == admin.user.email
    assert inbox.messages[0]["From"] == "ISP <noc@isp.example>"
    weak = client.post("/api/v1/auth/password-reset/confirm",
                       json={"token": token, "new_password": "short"})
    assert weak.status_code == 422
    done = client.post("/api/v1/auth/password-reset/confirm",
                       json={"token": token, "new_password": "reset-and-renewed-pass"})
    assert done.status_code == 204
    again = client.post("/api/v1/auth/password-reset/confirm",
                        json={"token": token, "new_password": "another-new-password"})
    assert again.status_code == 422 and "invalid or has expired" in again.json()["detail"]
    assert client.post("/api/v1/auth/login", json={
        "email": admin.user.email, "password": "reset-and-renewed-pass"}).status_code == 200
    assert client.post("/api/v1/auth/login", json={
        "email": admin.user.email, "password": admin.password}).status_code == 401


def test_unknown_address_gets_the_same_answer_and_no_mail(
        mail_client: tuple[TestClient, Inbox], admin: StaffUser) -> None:
    client, inbox = mail_client
    known = client.post("/api/v1/auth/password-reset/request", json={"email": admin.user.email})
    unknown = client.post("/api/v1/auth/password-reset/request",
                          json={"email": "stranger@nowhere.example"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert len(inbox.wait_for(2, timeout=1.0)) == 1


def test_admin_issued_reset_goes_to_the_users_email_not_the_caller(
        mail_client: tuple[TestClient, Inbox], admin: StaffUser, session: Session,
        settings: Settings, tenant: Tenant) -> None:
    client, inbox = mail_client
    agent = make_user(session, settings, tenant, "support")
    issued = client.post(f"/api/v1/users/{agent.user.id}/password-reset", headers=admin.headers)
    assert issued.status_code == 202
    assert "token" not in issued.text and "sent" in issued.json()["status"]
    token = _token_from(inbox)
    assert inbox.messages[0]["To"] == agent.user.email
    assert client.post("/api/v1/auth/password-reset/confirm", json={
        "token": token, "new_password": "admin-issued-reset-pw"}).status_code == 204
    assert client.post("/api/v1/auth/login", json={
        "email": agent.user.email, "password": "admin-issued-reset-pw"}).status_code == 200


def test_a_user_manager_cannot_take_over_an_admin(
        mail_client: tuple[TestClient, Inbox], admin: StaffUser, session: Session,
        settings: Settings, tenant: Tenant) -> None:
    client, inbox = mail_client
    service.create_role(session, principal_for_user(admin.user), schemas.RoleCreate(
        name="user-manager", permissions=["users:read", "users:write"]))
    manager = make_user(session, settings, tenant, "user-manager")
    reset = client.post(f"/api/v1/users/{admin.user.id}/password-reset", headers=manager.headers)
    assert reset.status_code == 403
    assert "permissions you do not hold" in reset.json()["detail"]
    moved = client.patch(f"/api/v1/users/{admin.user.id}", headers=manager.headers,
                         json={"email": "mine@attacker.example"})
    assert moved.status_code == 403
    assert client.delete(f"/api/v1/users/{admin.user.id}",
                         headers=manager.headers).status_code == 403
    assert inbox.wait_for(1, timeout=0.5) == []
    assert client.post("/api/v1/auth/login", json={
        "email": admin.user.email, "password": admin.password}).status_code == 200


def test_reset_of_a_deactivated_user_is_refused(client: TestClient, admin: StaffUser,
                                                session: Session, settings: Settings,
                                                tenant: Tenant) -> None:
    agent = make_user(session, settings, tenant, "support")
    client.patch(f"/api/v1/users/{agent.user.id}", headers=admin.headers,
                 json={"is_active": False})
    refused = client.post(f"/api/v1/users/{agent.user.id}/password-reset",
                          headers=admin.headers)
    assert refused.status_code == 409 and "reactivate" in refused.json()["detail"]


def test_reset_without_smtp_configured_still_answers(client: TestClient,
                                                     admin: StaffUser) -> None:
    response = client.post("/api/v1/auth/password-reset/request",
                           json={"email": admin.user.email})
    assert response.status_code == 202
