"""Role, API key and audit log pages: the permission ceiling, secrets shown once, filters and
cursor pages, and another tenant's rows never shown or changed."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity import schemas, service
from dotmac_isp.modules.identity.auth import principal_for_user
from dotmac_isp.modules.identity.models import ApiKey, Role, Tenant
from tests.support.factories import StaffUser, make_user
from tests.web.test_admin_pages import csrf_of, sign_in
from tests.web.test_staff_pages import user_manager


def _form(client: TestClient, url: str, page_url: str,
          data: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    fields: dict[str, list[str]] = {"csrf_token": [csrf_of(client.get(page_url).text)]}
    for name, value in data:
        fields.setdefault(name, []).append(value)
    return client.post(url, data=fields, follow_redirects=False)


def test_roles_list_create_edit_and_ceiling(client: TestClient, session: Session,
                                            settings: Settings, admin: StaffUser,
                                            tenant: Tenant, other_tenant: Tenant) -> None:
    theirs = service.create_role(session, principal_for_user(
        make_user(session, settings, other_tenant, "admin").user),
        schemas.RoleCreate(name="their-role", permissions=["users:read"]))
    manager = user_manager(session, settings, tenant, admin)
    sign_in(client, admin.user.email, admin.password)
    listing = client.get("/admin/roles").text
    assert 'data-role="admin"' in listing and 'data-role="staff-manager"' in listing
    assert "their-role" not in listing
    assert client.get(f"/admin/roles/{theirs.id}").status_code == 404
    hijack = _form(client, f"/admin/roles/{theirs.id}", "/admin/roles",
                   [("name", "taken"), ("permissions", "users:read")])
    assert hijack.status_code == 404
    session.refresh(theirs)
    assert theirs.name == "their-role"

    client.cookies.clear()
    sign_in(client, manager.user.email, manager.password)
    assert client.get("/admin/roles").status_code == 200
    assert client.get("/admin/roles/new").status_code == 403  # roles:read only
    client.cookies.clear()
    service.create_role(session, principal_for_user(admin.user), schemas.RoleCreate(
        name="role-editor", permissions=["roles:read", "roles:write", "support:read",
                                         "tenant:read"]))
    editor = make_user(session, settings, tenant, "role-editor")
    sign_in(client, editor.user.email, editor.password)
    form = client.get("/admin/roles/new").text
    assert re.search(r'value="billing:write" data-perm="billing:write"\s+disabled', form)
    made = _form(client, "/admin/roles", "/admin/roles/new",
                 [("name", "desk"), ("description", "front desk"),
                  ("permissions", "support:read"), ("permissions", "tenant:read")])
    assert made.status_code == 303
    desk = session.query(Role).filter_by(tenant_id=tenant.id, name="desk").one()
    assert desk.permissions == ["support:read", "tenant:read"]
    beyond = _form(client, "/admin/roles", "/admin/roles/new",
                   [("name", "greedy"), ("permissions", "billing:write")])
    assert beyond.status_code == 403 and "do not hold: billing:write" in beyond.text
    assert 'value="greedy"' in beyond.text  # the form stays filled in
    bad = _form(client, "/admin/roles", "/admin/roles/new", [("name", "no/slashes")])
    assert bad.status_code == 422 and "Name:" in bad.text
    edited = _form(client, f"/admin/roles/{desk.id}", f"/admin/roles/{desk.id}",
                   [("name", "desk"), ("permissions", "support:read")])
    assert edited.status_code == 303
    session.refresh(desk)
    assert desk.permissions == ["support:read"]
    manager_role = service.role_by_name(session, tenant.id, "staff-manager")
    page = client.get(f"/admin/roles/{manager_role.id}").text
    assert 'data-testid="above-you"' in page and "Save role" not in page
    strip = _form(client, f"/admin/roles/{manager_role.id}", "/admin/roles",
                  [("name", "staff-manager"), ("permissions", "tenant:read")])
    assert strip.status_code == 403
    session.refresh(manager_role)
    assert "users:write" in manager_role.permissions
    assert session.query(Role).filter_by(name="greedy").count() == 0


def test_api_key_secret_shown_once_then_revoked(client: TestClient, session: Session,
                                                settings: Settings, admin: StaffUser,
                                                tenant: Tenant, other_tenant: Tenant) -> None:
    outsider = make_user(session, settings, other_tenant, "admin")
    their_key, _raw = service.create_api_key(session, principal_for_user(outsider.user),
                                             schemas.ApiKeyCreate(name="their-key",
                                                                  scopes=["users:read"]))
    sign_in(client, admin.user.email, admin.password)
    made = _form(client, "/admin/api-keys", "/admin/api-keys",
                 [("name", "billing-sync"), ("scopes", "billing:read"),
                  ("scopes", "customers:read"), ("expires", "2099-12-31")])
    assert made.status_code == 201
    secret = re.search(r'data-testid="new-key-secret">([^<]+)<', made.text)
    assert secret is not None
    raw = secret.group(1)
    used = client.get("/api/v1/customers", headers={"Authorization": f"Bearer {raw}"})
    assert used.status_code == 200
    listing = client.get("/admin/api-keys").text
    assert 'data-key="billing-sync"' in listing and raw not in listing  # shown once
    assert "their-key" not in listing
    no_scope = _form(client, "/admin/api-keys", "/admin/api-keys", [("name", "empty")])
    assert no_scope.status_code == 422 and "Permissions:" in no_scope.text
    bad_date = _form(client, "/admin/api-keys", "/admin/api-keys",
                     [("name", "x"), ("scopes", "tenant:read"), ("expires", "soon")])
    assert bad_date.status_code == 422 and "Expires on: use a date" in bad_date.text
    key = session.query(ApiKey).filter_by(tenant_id=tenant.id, name="billing-sync").one()
    assert key.expires_at is not None and key.expires_at.year in (2099, 2100)
    assert _form(client, f"/admin/api-keys/{their_key.id}/revoke", "/admin/api-keys",
                 []).status_code == 404
    session.refresh(their_key)
    assert their_key.revoked_at is None
    revoked = _form(client, f"/admin/api-keys/{key.id}/revoke", "/admin/api-keys", [])
    assert revoked.status_code == 303
    assert client.get("/api/v1/customers",
                      headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_api_keys_never_beyond_the_creator(client: TestClient, session: Session,
                                           settings: Settings, tenant: Tenant,
                                           admin: StaffUser) -> None:
    service.create_role(session, principal_for_user(admin.user), schemas.RoleCreate(
        name="integrator", permissions=["api_keys:read", "api_keys:write", "tenant:read"]))
    integrator = make_user(session, settings, tenant, "integrator")
    sign_in(client, integrator.user.email, integrator.password)
    refused = _form(client, "/admin/api-keys", "/admin/api-keys",
                    [("name", "too-strong"), ("scopes", "billing:write")])
    assert refused.status_code == 403 and "billing:write" in refused.text
    assert session.query(ApiKey).filter_by(name="too-strong").count() == 0
    clerk = make_user(session, settings, tenant, "billing")
    client.cookies.clear()
    sign_in(client, clerk.user.email, clerk.password)
    assert client.get("/admin/api-keys").status_code == 403
    assert client.get("/admin/audit").status_code == 403
    assert client.get("/admin/roles").status_code == 403


def test_audit_log_filters_and_cursor_pages(client: TestClient, session: Session,
                                            settings: Settings, admin: StaffUser,
                                            tenant: Tenant, other_tenant: Tenant) -> None:
    outsider = make_user(session, settings, other_tenant, "admin")
    service.create_role(session, principal_for_user(outsider.user),
                        schemas.RoleCreate(name="secret-of-b", permissions=["users:read"]))
    sign_in(client, admin.user.email, admin.password)
    for i in range(55):  # more than a page of audited changes, made through the pages
        _form(client, "/admin/roles", "/admin/roles/new",
              [("name", f"made-{i:02d}"), ("permissions", "tenant:read")])
    page = client.get("/admin/audit", params={"entity_type": "roles", "action": "create",
                                              "actor": str(admin.user.id)})
    assert page.status_code == 200
    rows = re.findall(r'data-entry="([^"]+)"', page.text)
    assert len(rows) == 50 and "made-54" in page.text and "secret-of-b" not in page.text
    following = re.search(r'href="/admin/audit\?([^"]+cursor=[^"]+)"', page.text)
    assert following is not None
    nxt = client.get("/admin/audit?" + following.group(1).replace("&amp;", "&"))
    more = re.findall(r'data-entry="([^"]+)"', nxt.text)
    assert len(more) >= 5 and not set(more) & set(rows) and "made-00" in nxt.text
    nobody = client.get("/admin/audit", params={"actor": str(outsider.user.id)})
    assert re.findall(r'data-entry="', nobody.text) == []
    future = client.get("/admin/audit", params={"since": "2999-01-01"})
    assert "No entries match." in future.text
    today = client.get("/admin/audit", params={"until": "2999-01-01", "action": "create",
                                               "entity_type": "roles"})
    assert "made-54" in today.text
    bad = client.get("/admin/audit", params={"since": "yesterday", "actor": "me",
                                             "action": "drop"})
    assert bad.status_code == 422
    for message in ("from: use a date", "actor: choose one", "action: choose"):
        assert message in bad.text
