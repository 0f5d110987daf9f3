"""Login, lockout, token refresh and rotation, logout, password change, TOTP."""

from __future__ import annotations

from datetime import timedelta

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.modules.identity.models import RefreshToken, User
from dotmac_isp.shared.types import utcnow
from tests.support.factories import StaffUser


def login(client: TestClient, email: str, password: str, **extra: str):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/auth/login", json={"email": email, "password": password, **extra})


def test_login_returns_tokens_that_open_the_api(client: TestClient, admin: StaffUser) -> None:
    response = login(client, admin.user.email, admin.password)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 15 * 60
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["user"]["email"] == admin.user.email
    assert me.json()["tenant"]["slug"] == "tenant-a"
    assert "users:write" in me.json()["permissions"]


def test_login_is_case_insensitive_on_email(client: TestClient, admin: StaffUser) -> None:
    assert login(client, admin.user.email.upper(), admin.password).status_code == 200


def test_wrong_password_and_unknown_email_get_the_same_answer(
        client: TestClient, admin: StaffUser) -> None:
    wrong = login(client, admin.user.email, "not-the-password")
    unknown = login(client, "nobody@nowhere.example", "whatever-password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"error": "unauthorized",
                                              "detail": "invalid email or password"}


def test_no_token_and_bad_token_are_refused(client: TestClient, admin: StaffUser) -> None:
    assert client.get("/api/v1/users").status_code == 401
    bad = client.get("/api/v1/users", headers={"Authorization": "Bearer not.a.jwt"})
    assert bad.status_code == 401 and bad.json()["error"] == "unauthorized"
    assert bad.headers["www-authenticate"] == "Bearer"


def test_lockout_after_repeated_failures_survives_and_blocks_the_right_password(
        client: TestClient, admin: StaffUser, session: Session) -> None:
    for _ in range(5):
        assert login(client, admin.user.email, "wrong-password-x").status_code == 401
    locked = login(client, admin.user.email, admin.password)
    assert locked.status_code == 423
    assert "locked" in locked.json()["detail"]
    stored = session.scalars(select(User).where(User.id == admin.user.id)
                             .execution_options(populate_existing=True)).one()
    assert stored.locked_until is not None and stored.locked_until > utcnow()
    # an administrator unlocks the account
    other = client.post(f"/api/v1/users/{admin.user.id}/unlock", headers=admin.headers)
    assert other.status_code == 200
    assert login(client, admin.user.email, admin.password).status_code == 200


def test_successful_login_resets_the_failure_count(client: TestClient, admin: StaffUser) -> None:
    for _ in range(4):
        login(client, admin.user.email, "wrong-password-x")
    assert login(client, admin.user.email, admin.password).status_code == 200
    for _ in range(4):
        login(client, admin.user.email, "wrong-password-x")
    assert login(client, admin.user.email, admin.password).status_code == 200


def test_refresh_rotates_and_reuse_revokes_the_whole_login(
        client: TestClient, admin: StaffUser) -> None:
    first = login(client, admin.user.email, admin.password).json()
    second = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    second_body = second.json()
    assert second_body["refresh_token"] != first["refresh_token"]
    # the old token no longer works, and presenting it (a stolen copy) kills the new one too
    replay = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    after_theft = client.post("/api/v1/auth/refresh",
                              json={"refresh_token": second_body["refresh_token"]})
    assert after_theft.status_code == 401


def test_refresh_tokens_are_stored_hashed(client: TestClient, admin: StaffUser,
                                          session: Session) -> None:
    raw = login(client, admin.user.email, admin.password).json()["refresh_token"]
    stored = session.scalars(select(RefreshToken.token_hash)).all()
    assert stored and raw not in stored


def test_logout_revokes_the_refresh_token(client: TestClient, admin: StaffUser) -> None:
    tokens = login(client, admin.user.email, admin.password).json()
    assert client.post("/api/v1/auth/logout",
                       json={"refresh_token": tokens["refresh_token"]}).status_code == 204
    again = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert again.status_code == 401


def test_expired_refresh_token_is_refused(client: TestClient, admin: StaffUser,
                                          session: Session) -> None:
    tokens = login(client, admin.user.email, admin.password).json()
    for token in session.scalars(select(RefreshToken)):
        token.expires_at = utcnow() - timedelta(seconds=1)
    session.flush()
    assert client.post("/api/v1/auth/refresh",
                       json={"refresh_token": tokens["refresh_token"]}).status_code == 401


def test_password_change_requires_the_current_password_and_ends_other_sessions(
        client: TestClient, admin: StaffUser) -> None:
    tokens = login(client, admin.user.email, admin.password).json()
    wrong = client.post("/api/v1/auth/password", headers=admin.headers,
                        json={"current_password": "nope-nope-nope", "new_password": "x" * 12})
    assert wrong.status_code == 422 and "current password" in wrong.json()["detail"]
    short = client.post("/api/v1/auth/password", headers=admin.headers,
                        json={"current_password": admin.password, "new_password": "short"})
    assert short.status_code == 422 and "at least 10" in short.json()["detail"]
    ok = client.post("/api/v1/auth/password", headers=admin.headers,
                     json={"current_password": admin.password,
                           "new_password": "a-brand-new-passphrase"})
    assert ok.status_code == 204
    assert client.get("/api/v1/auth/me", headers=admin.headers).status_code == 401
    assert client.post("/api/v1/auth/refresh",
                       json={"refresh_token": tokens["refresh_token"]}).status_code == 401
    assert login(client, admin.user.email, admin.password).status_code == 401
    assert login(client, admin.user.email, "a-brand-new-passphrase").status_code == 200


def test_deactivated_user_cannot_use_existing_tokens(client: TestClient, admin: StaffUser,
                                                     session: Session) -> None:
    admin.user.is_active = False
    session.flush()
    assert client.get("/api/v1/auth/me", headers=admin.headers).status_code == 401
    assert login(client, admin.user.email, admin.password).status_code == 401


def test_totp_second_factor(client: TestClient, admin: StaffUser) -> None:
    setup = client.post("/api/v1/auth/totp/setup", headers=admin.headers)
    assert setup.status_code == 200
    secret = setup.json()["secret"]
    assert setup.json()["otpauth_uri"].startswith("otpauth://totp/")
    bad = client.post("/api/v1/auth/totp/enable", headers=admin.headers, json={"code": "000000"})
    assert bad.status_code == 422
    totp = pyotp.TOTP(secret)
    code = totp.now()
    assert client.post("/api/v1/auth/totp/enable", headers=admin.headers,
                       json={"code": code}).status_code == 204
    # password alone is no longer enough
    missing = login(client, admin.user.email, admin.password)
    assert missing.status_code == 401 and missing.json()["error"] == "totp_required"
    assert login(client, admin.user.email, admin.password, totp_code="123456").status_code == 401
    # the code already used to enable cannot be replayed; the next step's code works
    replay = login(client, admin.user.email, admin.password, totp_code=code)
    assert replay.status_code == 401
    next_code = totp.at(utcnow() + timedelta(seconds=30))
    assert login(client, admin.user.email, admin.password,
                 totp_code=next_code).status_code == 200
    off = client.post("/api/v1/auth/totp/disable", headers=admin.headers,
                      json={"password": admin.password, "code": totp.now()})
    assert off.status_code == 204
    assert login(client, admin.user.email, admin.password).status_code == 200


def test_api_key_endpoints_refuse_personal_actions(client: TestClient, admin: StaffUser) -> None:
    created = client.post("/api/v1/api-keys", headers=admin.headers,
                          json={"name": "billing-sync", "scopes": ["users:read"]}).json()
    key_headers = {"Authorization": f"Bearer {created['key']}"}
    assert client.get("/api/v1/users", headers=key_headers).status_code == 200
    assert client.post("/api/v1/auth/totp/setup", headers=key_headers).status_code == 403
