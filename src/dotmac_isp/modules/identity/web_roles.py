"""Role pages: built-in and custom roles, and custom roles edited with permission checkboxes.
Nobody grants a permission they do not hold (the service refuses; the page offers only theirs)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from dotmac_isp.modules.identity import schemas, service
from dotmac_isp.modules.identity.deps import DbSession, page_permission
from dotmac_isp.modules.identity.models import Role, User
from dotmac_isp.modules.identity.permissions import ALL_PERMISSIONS, Permission
from dotmac_isp.modules.identity.web_users import all_roles, principal_of
from dotmac_isp.shared.errors import AppError
from dotmac_isp.web.forms import FormErrors, form_errors
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/admin/roles", include_in_schema=False)
P = Permission


def _groups() -> list[tuple[str, list[str]]]:
    """Permissions grouped by area (customers:read, customers:write ...)."""
    areas: dict[str, list[str]] = {}
    for perm in sorted(ALL_PERMISSIONS):
        areas.setdefault(perm.split(":")[0], []).append(perm)
    return list(areas.items())


@router.get("", response_class=HTMLResponse)
def roles_list(request: Request, session: DbSession,
               user: User = page_permission(P.ROLES_READ)) -> HTMLResponse:
    return render(request, "identity/roles.html", {
        "current_user": user, "roles": all_roles(session, user.tenant_id),
        "can_write": principal_of(request).has(P.ROLES_WRITE)})


ROLE_LABELS = {"name": "Name", "description": "Description", "permissions": "Permissions"}


def _refused(exc: AppError) -> FormErrors:
    errors = FormErrors(ROLE_LABELS)
    errors.refusal(exc, "name" if exc.status_code == 409 else None)
    return errors


def _form_page(request: Request, user: User, role: Role | None, values: dict[str, Any], *,
               errors: FormErrors | None = None, status_code: int = 200) -> HTMLResponse:
    return render(request, "identity/role_form.html", {
        "current_user": user, "role": role, "values": values, "groups": _groups(),
        "held": principal_of(request).permissions, "errors": errors or [],
        "beyond": sorted(set(role.permissions) - principal_of(request).permissions) if role else [],
        "can_write": principal_of(request).has(P.ROLES_WRITE)}, status_code=status_code)


@router.get("/new", response_class=HTMLResponse)
def new_role(request: Request, user: User = page_permission(P.ROLES_WRITE)) -> HTMLResponse:
    return _form_page(request, user, None, {"name": "", "description": "", "permissions": []})


@router.get("/{role_id}", response_class=HTMLResponse)
def role_detail(request: Request, role_id: uuid.UUID, session: DbSession,
                user: User = page_permission(P.ROLES_READ)) -> HTMLResponse:
    role = service.get_role(session, user.tenant_id, role_id)
    return _form_page(request, user, role, {"name": role.name, "description": role.description,
                                            "permissions": role.permissions})


async def _values(request: Request) -> dict[str, Any]:
    await verify_csrf(request)
    form = await request.form()
    return {"name": str(form.get("name", "")).strip(),
            "description": str(form.get("description", "")).strip(),
            "permissions": sorted({str(p) for p in form.getlist("permissions")})}


@router.post("", response_class=HTMLResponse)
async def create_role(request: Request, session: DbSession,
                      user: User = page_permission(P.ROLES_WRITE)) -> Response:
    values = await _values(request)
    try:
        role = service.create_role(session, principal_of(request),
                                   schemas.RoleCreate.model_validate(values))
    except ValidationError as exc:
        return _form_page(request, user, None, values, errors=form_errors(exc, ROLE_LABELS),
                          status_code=422)
    except AppError as exc:
        session.rollback()
        return _form_page(request, user, None, values, errors=_refused(exc),
                          status_code=exc.status_code)
    flash(request, f"Role {role.name} created.")
    return RedirectResponse(f"/admin/roles/{role.id}", status_code=303)


@router.post("/{role_id}", response_class=HTMLResponse)
async def update_role(request: Request, role_id: uuid.UUID, session: DbSession,
                      user: User = page_permission(P.ROLES_WRITE)) -> Response:
    values = await _values(request)
    role = service.get_role(session, user.tenant_id, role_id)
    try:
        service.update_role(session, principal_of(request), role_id,
                            schemas.RoleUpdate.model_validate(values))
    except ValidationError as exc:
        return _form_page(request, user, role, values, errors=form_errors(exc, ROLE_LABELS),
                          status_code=422)
    except AppError as exc:
        session.rollback()
        role = service.get_role(session, user.tenant_id, role_id)
        return _form_page(request, user, role, values, errors=_refused(exc),
                          status_code=exc.status_code)
    flash(request, f"Role {values['name']} saved.")
    return RedirectResponse(f"/admin/roles/{role_id}", status_code=303)


@router.post("/{role_id}/delete")
async def delete_role(request: Request, role_id: uuid.UUID, session: DbSession,
                      user: User = page_permission(P.ROLES_WRITE)) -> Response:
    await verify_csrf(request)
    service.delete_role(session, principal_of(request), role_id)
    flash(request, "Role deleted.")
    return RedirectResponse("/admin/roles", status_code=303)
