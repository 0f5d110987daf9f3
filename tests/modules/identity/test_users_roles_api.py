"""Users, roles, API keys and the audit trail through the API."""

from __future__ import annotations

import uuid

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import ApiKey, Tenant, User
from dotmac_isp.modules.identity.permissions import BUILTIN_ROLES
from tests.support.factories import StaffUser, make_user


def role_id(client: TestClient, admin: StaffUser, name: str) -> str:
    roles = client.get("/api/v1/roles", headers=admin.headers).json()["items"]
    return next(r["id"] for r in roles if r["name"] == name)


def test_every_tenant_starts_with_the_builtin_roles(client: TestClient, admin: StaffUser) -> None:
    roles = client.get("/api/v1/roles", headers=admin.headers).json()
    assert {r["name"] for r in roles["items"]} == set(BUILTIN_ROLES)
    assert all(r["is_builtin"] for r in roles["items"])


def test_create_user_hashes_the_password_with_argon2(client: TestClient, admin: StaffUser,
                                                     session: Session) -> None:
    response = client.post("/api/v1/users", headers=admin.headers, json={
        "email": "New.Agent@Tenant-A.example", "full_name": "New Agent",
        "password": "a-long-enough-password", "role_id": role_id(client, admin, "support")})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["email"] == "new.agent@tenant-a.example" and body["role_name"] == "support"
    assert "password" not in str(body).lower().replace("password_", "")
    stored = session.scalars(select(User).where(User.id == uuid.UUID(body["id"]))).one()
    assert stored.password_hash.startswith("$argon2id$")
    duplicate = client.post("/api/v1/users", headers=admin.headers, json={
        "email": "new.agent@tenant-a.example", "password": "a-long-enough-password",
        "role_id": role_id(client, admin, "support")})
    assert duplicate.status_code == 409


def test_bad_user_input_gets_clear_errors(client: TestClient, admin: StaffUser) -> None:
    support = role_id(client, admin, "support")
    bad_email = client.post("/api/v1/users", headers=admin.headers,
                            json={"email": "not-an-email", "password": "x" * 12,
                                  "role_id": support})
    assert bad_email.status_code == 422 and "email" in bad_email.json()["detail"]
    short = client.post("/api/v1/users", headers=admin.headers,
                        json={"email": "a@b.example", "password": "short", "role_id": support})
    assert short.status_code == 422 and "at least" in short.json()["detail"]
    no_role = client.post("/api/v1/users", headers=admin.headers,
                          json={"email": "a@b.example", "password": "x" * 12,
                                "role_id": "00000000-0000-0000-0000-000000000000"})
    assert no_role.status_code == 422 and "role_id" in no_role.json()["detail"]


def test_list_users_filters(client: TestClient, admin: StaffUser, session: Session,
                            settings: Settings, tenant: Tenant) -> None:
    make_user(session, settings, tenant, "support", email="sue@tenant-a.example")
    make_user(session, settings, tenant, "billing", email="bob@tenant-a.example")
    found = client.get("/api/v1/users?q=sue", headers=admin.headers).json()
    assert [u["email"] for u in found["items"]] == ["sue@tenant-a.example"]
    page = client.get("/api/v1/users?limit=2&offset=0", headers=admin.headers).json()
    assert page["total"] == 3 and len(page["items"]) == 2
    bad = client.get("/api/v1/users?limit=100000", headers=admin.headers)
    assert bad.status_code == 422


def test_admin_cannot_lock_themself_out(client: TestClient, admin: StaffUser) -> None:
    me = admin.user.id
    assert client.patch(f"/api/v1/users/{me}", headers=admin.headers,
                        json={"is_active": False}).status_code == 409
    assert client.delete(f"/api/v1/users/{me}", headers=admin.headers).status_code == 409


def test_custom_roles(client: TestClient, admin: StaffUser, session: Session,
                      settings: Settings, tenant: Tenant) -> None:
    created = client.post("/api/v1/roles", headers=admin.headers, json={
        "name": "auditor", "description": "reads the audit log",
        "permissions": ["audit:read", "users:read"]})
    assert created.status_code == 201
    rid = created.json()["id"]
    unknown = client.post("/api/v1/roles", headers=admin.headers,
                          json={"name": "bad", "permissions": ["launch:missiles"]})
    assert unknown.status_code == 422 and "launch:missiles" in unknown.json()["detail"]
    builtin = role_id(client, admin, "support")
    assert client.patch(f"/api/v1/roles/{builtin}", headers=admin.headers,
                        json={"permissions": []}).status_code == 409
    assert client.delete(f"/api/v1/roles/{builtin}", headers=admin.headers).status_code == 409
    # a user with the custom role gets exactly its permissions
    user = client.post("/api/v1/users", headers=admin.headers, json={
        "email": "aud@tenant-a.example", "password": "a-long-enough-password", "role_id": rid})
    assert user.status_code == 201
    login = client.post("/api/v1/auth/login", json={"email": "aud@tenant-a.example",
                                                    "password": "a-long-enough-password"})
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert client.get("/api/v1/audit-log", headers=headers).status_code == 200
    assert client.get("/api/v1/roles", headers=headers).status_code == 403
    in_use = client.delete(f"/api/v1/roles/{rid}", headers=admin.headers)
    assert in_use.status_code == 409 and "assigned" in in_use.json()["detail"]


def test_no_one_grants_what_they_do_not_hold(client: TestClient, session: Session,
                                             settings: Settings, tenant: Tenant) -> None:
    manager = make_user(session, settings, tenant, "admin")
    client.post("/api/v1/roles", headers=manager.headers, json={
        "name": "user-manager", "permissions": ["users:read", "users:write", "roles:read"]})
    rid = next(r["id"] for r in client.get("/api/v1/roles", headers=manager.headers)
               .json()["items"] if r["name"] == "user-manager")
    client.post("/api/v1/users", headers=manager.headers, json={
        "email": "um@tenant-a.example", "password": "a-long-enough-password", "role_id": rid})
    token = client.post("/api/v1/auth/login", json={
        "email": "um@tenant-a.example", "password": "a-long-enough-password"}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    admin_role = next(r["id"] for r in client.get("/api/v1/roles", headers=headers)
                      .json()["items"] if r["name"] == "admin")
    escalate = client.post("/api/v1/users", headers=headers, json={
        "email": "evil@tenant-a.example", "password": "a-long-enough-password",
        "role_id": admin_role})
    assert escalate.status_code == 403


def test_api_keys_are_shown_once_stored_hashed_scoped_and_revocable(
        client: TestClient, admin: StaffUser, session: Session) -> None:
    created = client.post("/api/v1/api-keys", headers=admin.headers,
                          json={"name": "radius-sync", "scopes": ["users:read"]})
    assert created.status_code == 201
    body = created.json()
    raw = body["key"]
    assert raw.startswith("dmk_")
    stored = session.scalars(select(ApiKey).where(ApiKey.id == uuid.UUID(body["id"]))).one()
    assert raw not in (stored.key_hash, stored.prefix) and len(stored.key_hash) == 64
    shown_again = client.get(f"/api/v1/api-keys/{body['id']}", headers=admin.headers).json()
    assert "key" not in shown_again
    key_headers = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/users", headers=key_headers).status_code == 200
    assert client.get("/api/v1/roles", headers=key_headers).status_code == 403
    wrong = {"Authorization": f"Bearer {raw[:-4]}XXXX"}
    assert client.get("/api/v1/users", headers=wrong).status_code == 401
    assert client.delete(f"/api/v1/api-keys/{body['id']}", headers=admin.headers).status_code == 200
    revoked = client.get("/api/v1/users", headers=key_headers)
    assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]


def test_api_key_scopes_cannot_exceed_the_creator(client: TestClient, session: Session,
                                                  settings: Settings, tenant: Tenant) -> None:
    viewer = make_user(session, settings, tenant, "read_only")
    response = client.post("/api/v1/api-keys", headers=viewer.headers,
                           json={"name": "x", "scopes": ["users:write"]})
    assert response.status_code == 403


def test_audit_log_records_who_what_when_before_and_after(
        client: TestClient, admin: StaffUser) -> None:
    created = client.post("/api/v1/users", headers=admin.headers, json={
        "email": "temp@tenant-a.example", "full_name": "Temp", "password": "a-long-enough-pw",
        "role_id": role_id(client, admin, "support")}).json()
    client.patch(f"/api/v1/users/{created['id']}", headers=admin.headers,
                 json={"full_name": "Temporary Agent"})
    client.delete(f"/api/v1/users/{created['id']}", headers=admin.headers)
    log = client.get(f"/api/v1/audit-log?entity_type=users&entity_id={created['id']}",
                     headers=admin.headers).json()["items"]
    assert [e["action"] for e in log] == ["delete", "update", "create"]
    delete, update, create = log
    assert all(e["actor_id"] == str(admin.user.id) and e["actor_type"] == "user" for e in log)
    assert all(e["request_id"] for e in log)
    assert create["before"] is None and create["after"]["email"] == "temp@tenant-a.example"
    assert "password_hash" not in create["after"]
    assert update["before"] == {"full_name": "Temp"}
    assert update["after"] == {"full_name": "Temporary Agent"}
    assert delete["before"]["full_name"] == "Temporary Agent" and delete["after"] is None
    only_updates = client.get("/api/v1/audit-log?action=update&entity_type=users",
                              headers=admin.headers).json()["items"]
    assert [e["id"] for e in only_updates] == [update["id"]]


def test_tenant_settings(client: TestClient, admin: StaffUser) -> None:
    assert client.get("/api/v1/tenant", headers=admin.headers).json()["slug"] == "tenant-a"
    changed = client.patch("/api/v1/tenant", headers=admin.headers,
                           json={"currency": "ngn", "timezone": "Africa/Lagos"})
    assert changed.status_code == 200
    assert changed.json()["currency"] == "NGN" and changed.json()["timezone"] == "Africa/Lagos"
    bad = client.patch("/api/v1/tenant", headers=admin.headers, json={"timezone": "Mars/Base"})
    assert bad.status_code == 422 and "Mars/Base" in bad.json()["detail"]
    assert client.patch("/api/v1/tenant", headers=admin.headers,
                        json={"currency": "DOLLARS"}).status_code == 422


def test_admin_resets_a_users_lost_two_factor(client: TestClient, admin: StaffUser,
                                              session: Session, settings: Settings,
                                              tenant: Tenant) -> None:
    agent = make_user(session, settings, tenant, "support")
    secret = client.post("/api/v1/auth/totp/setup", headers=agent.headers).json()["secret"]
    assert client.post("/api/v1/auth/totp/enable", headers=agent.headers,
                       json={"code": pyotp.TOTP(secret).now()}).status_code == 204
    login = {"email": agent.user.email, "password": agent.password}
    assert client.post("/api/v1/auth/login", json=login).json()["error"] == "totp_required"
    reset = client.post(f"/api/v1/users/{agent.user.id}/totp-reset", headers=admin.headers)
    assert reset.status_code == 200 and reset.json()["totp_enabled"] is False
    assert client.post("/api/v1/auth/login", json=login).status_code == 200
    own = client.post(f"/api/v1/users/{admin.user.id}/totp-reset", headers=admin.headers)
    assert own.status_code == 409 and "your own" in own.json()["detail"]
    by_agent = client.post(f"/api/v1/users/{admin.user.id}/totp-reset", headers=agent.headers)
    assert by_agent.status_code == 403
