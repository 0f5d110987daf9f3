"""Across every API endpoint: authentication, the permission matrix and tenant isolation.

These tests walk the app's routes, so an endpoint added later is covered, and one that is
neither public nor guarded by a permission fails here.
"""

from __future__ import annotations

import uuid

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity import schemas, service
from dotmac_isp.modules.identity.auth import principal_for_user
from dotmac_isp.modules.identity.models import PasswordResetToken, Tenant, User
from dotmac_isp.modules.identity.permissions import BUILTIN_ROLES, Permission
from tests.support.factories import StaffUser, make_user
from tests.support.routes import (
    PUBLIC,
    SELF_SERVICE,
    USER_ACTIONS,
    api_operations,
    fill_path,
    is_authenticated,
    path_params,
    request,
    required_permission,
)
from tests.support.tenant_objects import ObjectContext, body_for, build_all


def test_every_endpoint_is_public_self_service_or_needs_a_permission(app: FastAPI) -> None:
    unguarded = []
    for method, route in api_operations(app):
        key = (method, route.path)
        if key in PUBLIC:
            assert not is_authenticated(route), f"{key} is listed public but asks for a token"
        elif key in SELF_SERVICE:
            assert is_authenticated(route), f"{key} must require a signed-in user"
        elif required_permission(route) is None:
            unguarded.append(key)
    assert unguarded == []


def test_every_guarded_endpoint_refuses_anonymous_callers(client: TestClient,
                                                          app: FastAPI) -> None:
    wrong = []
    for method, route in api_operations(app):
        if (method, route.path) in PUBLIC:
            continue
        url = fill_path(route, {p: str(uuid.uuid4()) for p in path_params(route)})
        response = request(client, method, url, {})
        if response.status_code != 401:
            wrong.append((method, route.path, response.status_code))
    assert wrong == []


def test_permission_matrix(client: TestClient, app: FastAPI, session: Session,
                           settings: Settings, tenant: Tenant) -> None:
    """Each built-in role against each endpoint: 403 exactly when the role lacks the permission."""
    users = {role: make_user(session, settings, tenant, role) for role in BUILTIN_ROLES}
    checked, mismatches = 0, []
    for method, route in api_operations(app):
        permission = required_permission(route)
        if permission is None:
            continue
        url = fill_path(route, {p: str(uuid.uuid4()) for p in path_params(route)})
        for role, staff in users.items():
            allowed = permission in BUILTIN_ROLES[role][1]
            status = request(client, method, url, staff.headers).status_code
            checked += 1
            if (status == 403) == allowed or status >= 500:
                mismatches.append((role, method, route.path, permission, status))
    assert checked >= 5 * 20
    assert mismatches == []


def test_tenant_b_gets_404_for_every_tenant_a_object_and_lists_never_leak(
        client: TestClient, app: FastAPI, admin: StaffUser, other_admin: StaffUser,
        session: Session, settings: Settings, tenant: Tenant) -> None:
    objects = build_all(ObjectContext(client, admin, session, settings, tenant))
    leaks, checked = [], 0
    for method, route in api_operations(app):
        params = path_params(route)
        if (method, route.path) in PUBLIC:
            continue
        if params:
            missing = [p for p in params if p not in objects]
            assert not missing, (f"no tenant-A object for {missing} ({route.path}); register "
                                 f"one in tests/modules/<domain>/objects.py")
            response = request(client, method, fill_path(route, objects), other_admin.headers,
                               body_for(method, route.path))
            checked += 1
            if response.status_code != 404:
                leaks.append((method, route.path, response.status_code, response.text[:200]))
        elif method == "GET":
            response = client.get(route.path, headers=other_admin.headers)
            if any(value in response.text for value in objects.values()):
                leaks.append((method, route.path, "lists a tenant-A object"))
    assert checked >= 10
    assert leaks == []
    # and nothing of tenant A changed under tenant B's attempts
    for method, route in api_operations(app):
        if method == "GET" and path_params(route):
            again = client.get(fill_path(route, objects), headers=admin.headers)
            assert again.status_code == 200, (route.path, again.text[:200])
    assert client.get(f"/api/v1/users/{objects['user_id']}",
                      headers=admin.headers).json()["is_active"] is True
    assert client.get(f"/api/v1/api-keys/{objects['key_id']}",
                      headers=admin.headers).json()["revoked_at"] is None


def test_every_action_on_a_user_is_in_the_user_management_rule(app: FastAPI) -> None:
    covered = {(method, path) for method, path, _body in USER_ACTIONS.values()}
    on_users = {(method, route.path) for method, route in api_operations(app)
                if route.path.startswith("/api/v1/users/{user_id}") and method != "GET"}
    assert on_users == covered


def _actors(session: Session, settings: Settings, tenant: Tenant,
            admin: StaffUser) -> dict[str, tuple[StaffUser, frozenset[str]]]:
    """For each built-in role, a user holding that role's permissions plus user management."""
    actors = {}
    for name, (_description, perms) in BUILTIN_ROLES.items():
        held = perms | {Permission.USERS_READ, Permission.USERS_WRITE}
        role_name = name
        if held != perms:
            role_name = f"{name}-user-manager"
            service.create_role(session, principal_for_user(admin.user), schemas.RoleCreate(
                name=role_name, permissions=sorted(held)))
        actors[name] = (make_user(session, settings, tenant, role_name), frozenset(held))
    return actors


def test_no_one_manages_a_user_who_holds_a_permission_they_lack(
        client: TestClient, session: Session, settings: Settings, tenant: Tenant,
        admin: StaffUser) -> None:
    """Each (actor role, target role) pair, each action: 403 when the target holds a permission
    the actor lacks, and nothing about the target changes; allowed otherwise."""
    modest = service.create_role(session, principal_for_user(admin.user), schemas.RoleCreate(
        name="modest", permissions=[Permission.TENANT_READ])).id
    mismatches: list[tuple[str, str, str, int, str]] = []
    allowed_count = refused_count = 0
    for actor_role, (actor, held) in _actors(session, settings, tenant, admin).items():
        for target_role, (_description, target_perms) in BUILTIN_ROLES.items():
            above = not target_perms <= held
            target = make_user(session, settings, tenant, target_role)
            for action, (method, path, body) in USER_ACTIONS.items():
                if not above:
                    target = make_user(session, settings, tenant, target_role)
                url = path.format(user_id=target.user.id)
                response = request(client, method, url, actor.headers,
                                   body(str(modest), uuid.uuid4().hex[:8]))
                refused = (response.status_code == 403
                           and "permissions you do not hold" in response.json()["detail"])
                if refused != above or (not above and response.status_code >= 300):
                    mismatches.append((actor_role, target_role, action, response.status_code,
                                       response.text[:120]))
                allowed_count += not above
                refused_count += above
            if above:  # every refused action left the target as it was
                stored = session.get(User, target.user.id, populate_existing=True)
                assert stored is not None and stored.is_active
                assert stored.email == target.user.email and stored.full_name != "Renamed"
                assert stored.role.name == target_role
                assert session.scalars(select(PasswordResetToken).where(
                    PasswordResetToken.user_id == stored.id)).first() is None
    assert mismatches == []
    assert allowed_count and refused_count
