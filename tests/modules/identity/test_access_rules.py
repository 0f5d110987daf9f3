"""Across every API endpoint: authentication, the permission matrix and tenant isolation.

These tests walk the app's routes, so an endpoint added later is covered, and one that is
neither public nor guarded by a permission fails here.
"""

from __future__ import annotations

import uuid

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.identity.permissions import BUILTIN_ROLES
from tests.support.factories import StaffUser, make_user
from tests.support.routes import (
    PUBLIC,
    SELF_SERVICE,
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
