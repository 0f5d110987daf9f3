"""Staff user pages: list, invitation by email, role change, disable/enable, two-factor reset;
the ceiling (nobody manages a user above them) and tenant isolation."""

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
from dotmac_isp.modules.identity.models import Tenant, User
from tests.conftest import RollbackDatabase
from tests.support.factories import StaffUser, make_user
from tests.support.smtp import Inbox, smtp_server
from tests.web.test_admin_pages import csrf_of, sign_in


def user_manager(session: Session, settings: Settings, tenant: Tenant,
                 admin: StaffUser) -> StaffUser:
    """A custom role that manages staff but holds no billing or network powers."""
    service.create_role(session, principal_for_user(admin.user), schemas.RoleCreate(
        name="staff-manager", permissions=["users:read", "users:write", "roles:read",
                                           "tenant:read", "support:read"]))
    return make_user(session, settings, tenant, "staff-manager", email="hr@tenant-a.example")


def _post(client: TestClient, url: str, page_url: str, **data: str):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get(page_url).text)
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)


def test_list_shows_only_this_tenants_staff(client: TestClient, session: Session,
                                            settings: Settings, admin: StaffUser,
                                            tenant: Tenant, other_tenant: Tenant) -> None:
    make_user(session, settings, tenant, "support", email="desk@tenant-a.example")
    outsider = make_user(session, settings, other_tenant, "admin", email="boss@tenant-b.example")
    sign_in(client, admin.user.email, admin.password)
    page = client.get("/admin/users")
    assert page.status_code == 200
    assert 'data-user="desk@tenant-a.example"' in page.text
    assert "boss@tenant-b.example" not in page.text
    assert client.get(f"/admin/users/{outsider.user.id}").status_code == 404
    refused = _post(client, f"/admin/users/{outsider.user.id}/active", "/admin/users",
                    active="false")
    assert refused.status_code == 404
    session.refresh(outsider.user)
    assert outsider.user.is_active
    filtered = client.get("/admin/users", params={"q": "desk"})
    assert 'data-user="desk@tenant-a.example"' in filtered.text
    assert f'data-user="{admin.user.email}"' not in filtered.text


def test_pages_need_users_permission(client: TestClient, session: Session, settings: Settings,
                                     tenant: Tenant) -> None:
    clerk = make_user(session, settings, tenant, "billing")
    sign_in(client, clerk.user.email, clerk.password)
    assert client.get("/admin/users").status_code == 403
    viewer = make_user(session, settings, tenant, "read_only")
    client.cookies.clear()
    sign_in(client, viewer.user.email, viewer.password)
    page = client.get("/admin/users")
    assert page.status_code == 200 and "Send invitation" not in page.text
    refused = _post(client, f"/admin/users/{clerk.user.id}/active", "/admin/users",
                    active="false")
    assert refused.status_code == 403


@pytest.fixture
def mail_client(settings: Settings, db: RollbackDatabase) -> Iterator[tuple[TestClient, Inbox]]:
    with smtp_server() as (inbox, port):
        mailed = settings.model_copy(update={"mail": MailSettings(
            smtp_host="127.0.0.1", smtp_port=port, sender="ISP <noc@isp.example>")})
        app: FastAPI = create_app(mailed, db, configure_logs=False)  # type: ignore[arg-type]
        with TestClient(app) as client:
            yield client, inbox


def test_invited_user_sets_a_password_from_the_email_and_signs_in(
        mail_client: tuple[TestClient, Inbox], session: Session, admin: StaffUser) -> None:
    client, inbox = mail_client
    sign_in(client, admin.user.email, admin.password)
    support = service.role_by_name(session, admin.user.tenant_id, "support")
    bad = _post(client, "/admin/users/invite", "/admin/users", email="not-an-email",
                full_name="New Person", role_id="")
    assert bad.status_code == 422 and "Role: choose one from the list" in bad.text
    assert 'value="New Person"' in bad.text  # what was typed stays
    invited = _post(client, "/admin/users/invite", "/admin/users", email="New@Tenant-A.example",
                    full_name="New Person", role_id=str(support.id))
    assert invited.status_code == 303
    detail = client.get(invited.headers["location"])
    assert "Invitation sent to new@tenant-a.example" in detail.text
    [message] = inbox.wait_for(1)
    assert message["To"] == "new@tenant-a.example"
    body = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    match = re.search(r"reset-password\?token=(\S+)", body)
    assert match and admin.user.email in body
    token = unquote(match.group(1))
    client.cookies.clear()
    page = client.get(f"/admin/reset-password?token={token}")
    done = client.post("/admin/reset-password", data={
        "csrf_token": csrf_of(page.text), "token": token, "password": "my-first-password",
        "password_confirm": "my-first-password"})
    assert "password has been changed" in done.text
    assert sign_in(client, "new@tenant-a.example", "my-first-password").status_code == 303
    again = _post(client, "/admin/users/invite", "/admin/login", email="x@tenant-a.example",
                  role_id=str(support.id))
    assert again.status_code == 403  # support agents cannot invite


def test_role_change_disable_enable_and_totp_reset(client: TestClient, session: Session,
                                                   settings: Settings, admin: StaffUser,
                                                   tenant: Tenant) -> None:
    agent = make_user(session, settings, tenant, "support", email="agent@tenant-a.example")
    agent.user.totp_enabled, agent.user.totp_secret = True, "JBSWY3DPEHPK3PXP"
    session.flush()
    sign_in(client, admin.user.email, admin.password)
    url = f"/admin/users/{agent.user.id}"
    billing = service.role_by_name(session, tenant.id, "billing")
    moved = _post(client, f"{url}/role", url, role_id=str(billing.id))
    assert moved.status_code == 303
    assert "now has the role billing" in client.get(url).text
    assert _post(client, f"{url}/active", url, active="false").status_code == 303
    session.expire_all()
    assert session.get(User, agent.user.id).is_active is False  # type: ignore[union-attr]
    assert 'data-testid="target-status">disabled' in client.get(url).text
    assert _post(client, f"{url}/active", url, active="true").status_code == 303
    assert _post(client, f"{url}/totp-reset", url).status_code == 303
    session.expire_all()
    changed = session.get(User, agent.user.id)
    assert changed is not None and changed.is_active and not changed.totp_enabled
    assert changed.role_id == billing.id
    # yourself: the page offers nothing and the service refuses
    own = _post(client, f"/admin/users/{admin.user.id}/active", url, active="false")
    assert own.status_code == 409 and "deactivate yourself" in own.text


def test_nobody_manages_a_user_above_them(client: TestClient, session: Session,
                                          settings: Settings, admin: StaffUser,
                                          tenant: Tenant) -> None:
    manager = user_manager(session, settings, tenant, admin)
    clerk = make_user(session, settings, tenant, "billing", email="clerk@tenant-a.example")
    service.create_role(session, principal_for_user(admin.user), schemas.RoleCreate(
        name="desk", permissions=["tenant:read", "support:read"]))
    viewer = make_user(session, settings, tenant, "desk", email="desk@tenant-a.example")
    sign_in(client, manager.user.email, manager.password)
    listing = client.get("/admin/users").text
    offered = re.findall(r'<option value="[^"]+"[^>]*>([a-z_-]+):', listing)
    assert "admin" not in offered and "billing" not in offered  # beyond the manager's powers
    url = f"/admin/users/{clerk.user.id}"
    page = client.get(url).text
    assert 'data-testid="above-you"' in page and "billing:write" in page
    for action, data in (("active", {"active": "false"}), ("totp-reset", {}),
                         ("password-reset", {}), ("unlock", {})):
        refused = _post(client, f"{url}/{action}", url, **data)
        assert refused.status_code == 403, action
        assert "permissions you do not hold" in refused.text
    admin_role = service.role_by_name(session, tenant.id, "admin")
    lift = _post(client, f"/admin/users/{viewer.user.id}/role", url, role_id=str(admin_role.id))
    assert lift.status_code == 403  # nor hand out a role above them
    session.expire_all()
    assert session.get(User, clerk.user.id).is_active  # type: ignore[union-attr]
    assert session.get(User, viewer.user.id).role.name == "desk"  # type: ignore[union-attr]
    invite_admin = _post(client, "/admin/users/invite", "/admin/users",
                         email="sneaky@tenant-a.example", role_id=str(admin_role.id))
    assert invite_admin.status_code == 403
