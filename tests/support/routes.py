"""Walk the app's API routes: which permission each needs, which path parameters it takes."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from dotmac_isp.modules.identity.deps import current_principal, permission_of

# Endpoints anyone may call, and endpoints any signed-in user may call for themselves.
PUBLIC = {
    ("POST", "/api/v1/auth/login"), ("POST", "/api/v1/auth/refresh"),
    ("POST", "/api/v1/auth/logout"), ("POST", "/api/v1/auth/password-reset/request"),
    ("POST", "/api/v1/auth/password-reset/confirm"),
}
SELF_SERVICE = {
    ("GET", "/api/v1/auth/me"), ("POST", "/api/v1/auth/password"),
    ("POST", "/api/v1/auth/totp/setup"), ("POST", "/api/v1/auth/totp/enable"),
    ("POST", "/api/v1/auth/totp/disable"), ("GET", "/api/v1/inventory/my-van"),
}
# What a holder of users:write may do to another staff user, with a request body for each
# (the body builder gets the id of a role every built-in role may assign and a unique word).
# Each is refused on a user who holds a permission the caller lacks.
UserAction = tuple[str, str, Callable[[str, str], dict[str, Any] | None]]
USER_ACTIONS: dict[str, UserAction] = {
    "password reset": ("POST", "/api/v1/users/{user_id}/password-reset", lambda _r, _u: None),
    "two-factor reset": ("POST", "/api/v1/users/{user_id}/totp-reset", lambda _r, _u: None),
    "unlock": ("POST", "/api/v1/users/{user_id}/unlock", lambda _r, _u: None),
    "email change": ("PATCH", "/api/v1/users/{user_id}",
                     lambda _r, u: {"email": f"moved-{u}@attacker.example"}),
    "rename": ("PATCH", "/api/v1/users/{user_id}", lambda _r, _u: {"full_name": "Renamed"}),
    "deactivate": ("PATCH", "/api/v1/users/{user_id}", lambda _r, _u: {"is_active": False}),
    "role change": ("PATCH", "/api/v1/users/{user_id}", lambda role, _u: {"role_id": role}),
    "delete": ("DELETE", "/api/v1/users/{user_id}", lambda _r, _u: None),
}
PATH_PARAM = re.compile(r"{([^}:]+)(?::[^}]*)?}")


def _calls(dependant: Any) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def api_operations(app: FastAPI) -> Iterator[tuple[str, Any]]:
    """(method, route) for every API operation, routers included under their prefixes."""
    for route in iter_route_contexts(app.routes):
        path = route.path or ""
        if path.startswith("/api/v1") and getattr(route, "dependant", None) is not None:
            for method in sorted(route.methods or ()):
                yield method, route


def required_permission(route: Any) -> str | None:
    for call in _calls(route.dependant):
        perm = permission_of(call)
        if perm:
            return perm
    return None


def is_authenticated(route: Any) -> bool:
    return any(call is current_principal for call in _calls(route.dependant))


def path_params(route: Any) -> list[str]:
    return PATH_PARAM.findall(route.path)


def fill_path(route: Any, values: dict[str, str]) -> str:
    return PATH_PARAM.sub(lambda m: values[m.group(1)], route.path)


def request(client: Any, method: str, url: str, headers: dict[str, str],
            body: dict[str, Any] | None = None) -> Any:
    kwargs: dict[str, Any] = {"headers": headers}
    if method in ("POST", "PATCH", "PUT"):
        kwargs["json"] = body if body is not None else {}
    return client.request(method, url, **kwargs)
