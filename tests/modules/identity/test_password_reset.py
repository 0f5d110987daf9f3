"""Password reset by email, through a real SMTP server on loopback."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import unquote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from dotmac_isp.config import MailSettings, Settings
from dotmac_isp.main import create_app
from tests.conftest import RollbackDatabase
from tests.support.factories import StaffUser
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


def test_admin_issued_reset_token(client: TestClient, admin: StaffUser) -> None:
    issued = client.post(f"/api/v1/users/{admin.user.id}/password-reset", headers=admin.headers)
    assert issued.status_code == 201
    token = issued.json()["reset_token"]
    assert client.post("/api/v1/auth/password-reset/confirm", json={
        "token": token, "new_password": "admin-issued-reset-pw"}).status_code == 204


def test_reset_without_smtp_configured_still_answers(client: TestClient,
                                                     admin: StaffUser) -> None:
    response = client.post("/api/v1/auth/password-reset/request",
                           json={"email": admin.user.email})
    assert response.status_code == 202
