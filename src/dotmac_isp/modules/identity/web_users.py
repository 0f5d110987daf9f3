"""Staff user pages: the list, invitations, and one user's role, access and two-factor login.

Every change goes through the identity service, which refuses to touch a user who holds a
permission the acting staff member lacks (the same ceiling as the API)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dotmac_isp.modules.identity import schemas, service
from dotmac_isp.modules.identity.deps import AppSettings, DbSession, page_permission
from dotmac_isp.modules.identity.models import Role, User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.identity.principal import Principal
from dotmac_isp.shared.errors import AppError, ValidationFailed
from dotmac_isp.shared.pagination import PageParams, web_page_params
from dotmac_isp.web.forms import FormErrors, all_or_nothing, validate_form
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/admin/users", include_in_schema=False)
P = Permission
PAGE = 50


def principal_of(request: Request) -> Principal:
    principal: Principal = request.state.principal
    return principal


def all_roles(session: Any, tenant_id: uuid.UUID) -> list[Role]:
    return list(service.list_roles(session, tenant_id, PageParams(limit=200)).items)


def assignable(roles: list[Role], principal: Principal) -> list[Role]:
    """Roles the acting user may hand out: none above their own permissions."""
    return [r for r in roles if set(r.permissions) <= principal.permissions]


def can_manage(user: User, principal: Principal) -> bool:
    return set(user.role.permissions) <= principal.permissions


INVITE_LABELS = {"email": "Email", "full_name": "Full name", "role_id": "Role"}


def _uuid(value: object, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise ValidationFailed(f"{field}: choose one from the list") from exc


def _list_page(request: Request, session: DbSession, user: User, *, q: str = "",
               status: str = "", offset: int = 0, form: dict[str, Any] | None = None,
               errors: FormErrors | None = None, status_code: int = 200) -> HTMLResponse:
    principal = principal_of(request)
    active = {"active": True, "disabled": False}.get(status)
    page = service.list_users(session, user.tenant_id, web_page_params(PAGE, offset),
                              query=q.strip()[:200] or None, active=active)
    roles = all_roles(session, user.tenant_id)
    return render(request, "identity/users.html", {
        "current_user": user, "page": page, "q": q, "status": status,
        "params": {"q": q, "status": status}, "roles": assignable(roles, principal),
        "can_write": principal.has(P.USERS_WRITE), "form": form or {}, "errors": errors or [],
        "manageable": {u.id for u in page.items if can_manage(u, principal)},
    }, status_code=status_code)


@router.get("", response_class=HTMLResponse)
def users_list(request: Request, session: DbSession, q: str = "", status: str = "",
               offset: int = 0, user: User = page_permission(P.USERS_READ)) -> HTMLResponse:
    return _list_page(request, session, user, q=q, status=status, offset=offset)


@router.post("/invite", response_class=HTMLResponse)
async def invite(request: Request, session: DbSession, settings: AppSettings,
                 user: User = page_permission(P.USERS_WRITE)) -> Response:
    form = await verify_csrf(request)
    values = {k: str(form.get(k, "")).strip() for k in ("email", "full_name", "role_id")}
    try:
        role_id: uuid.UUID | None = uuid.UUID(values["role_id"])
    except ValueError:
        role_id = None
    data, errors = validate_form(schemas.UserInvite, {
        "email": values["email"], "full_name": values["full_name"],
        "role_id": role_id or uuid.UUID(int=0)}, INVITE_LABELS)  # the role is said below
    if role_id is None:
        errors.add("role_id", "choose one from the list")
    status_code = 422
    if data is not None and not errors:
        valid = data
        try:
            invited = all_or_nothing(session, lambda: service.invite_user(
                session, settings, principal_of(request), valid))
        except AppError as exc:
            if exc.status_code == 404:
                raise
            errors.refusal(exc, "email" if exc.status_code == 409 else None)
            status_code = exc.status_code
    if errors:
        return _list_page(request, session, user, form=values, errors=errors,
                          status_code=status_code)
    flash(request, f"Invitation sent to {invited.email}: the link lets them choose a password.")
    return RedirectResponse(f"/admin/users/{invited.id}", status_code=303)


def _detail(request: Request, session: DbSession, user: User, target: User) -> HTMLResponse:
    principal = principal_of(request)
    return render(request, "identity/user.html", {
        "current_user": user, "target": target, "is_self": target.id == user.id,
        "can_write": principal.has(P.USERS_WRITE),
        "can_manage": can_manage(target, principal),
        "missing": sorted(set(target.role.permissions) - principal.permissions),
        "roles": assignable(all_roles(session, user.tenant_id), principal),
    })


@router.get("/{user_id}", response_class=HTMLResponse)
def user_detail(request: Request, user_id: uuid.UUID, session: DbSession,
                user: User = page_permission(P.USERS_READ)) -> HTMLResponse:
    return _detail(request, session, user, service.get_user(session, user.tenant_id, user_id))


def _back(user_id: uuid.UUID, message: str, request: Request) -> RedirectResponse:
    flash(request, message)
    return RedirectResponse(f"/admin/users/{user_id}", status_code=303)


@router.post("/{user_id}/role")
async def change_role(request: Request, user_id: uuid.UUID, session: DbSession,
                      user: User = page_permission(P.USERS_WRITE)) -> Response:
    form = await verify_csrf(request)
    role_id = _uuid(form.get("role_id", ""), "role")
    changed = service.update_user(session, principal_of(request), user_id,
                                  schemas.UserUpdate(role_id=role_id))
    return _back(user_id, f"{changed.email} now has the role {changed.role.name}.", request)


@router.post("/{user_id}/active")
async def set_active(request: Request, user_id: uuid.UUID, session: DbSession,
                     user: User = page_permission(P.USERS_WRITE)) -> Response:
    form = await verify_csrf(request)
    active = str(form.get("active", "")) == "true"
    changed = service.update_user(session, principal_of(request), user_id,
                                  schemas.UserUpdate(is_active=active))
    state = "enabled: they can sign in again" if active else "disabled: they cannot sign in"
    return _back(user_id, f"{changed.email} is {state}.", request)


@router.post("/{user_id}/totp-reset")
async def reset_totp(request: Request, user_id: uuid.UUID, session: DbSession,
                     user: User = page_permission(P.USERS_WRITE)) -> Response:
    await verify_csrf(request)
    changed = service.reset_user_totp(session, principal_of(request), user_id)
    return _back(user_id, f"Two-factor login is off for {changed.email}; they can set it up "
                          "again.", request)


@router.post("/{user_id}/password-reset")
async def send_reset(request: Request, user_id: uuid.UUID, session: DbSession,
                     settings: AppSettings,
                     user: User = page_permission(P.USERS_WRITE)) -> Response:
    await verify_csrf(request)
    service.admin_password_reset(session, settings, principal_of(request), user_id)
    return _back(user_id, "A link to choose a new password has been emailed to the user.",
                 request)


@router.post("/{user_id}/unlock")
async def unlock(request: Request, user_id: uuid.UUID, session: DbSession,
                 user: User = page_permission(P.USERS_WRITE)) -> Response:
    await verify_csrf(request)
    changed = service.unlock_user(session, principal_of(request), user_id)
    return _back(user_id, f"{changed.email} can try to sign in again.", request)
