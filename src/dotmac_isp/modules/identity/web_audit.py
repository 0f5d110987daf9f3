"""API key and audit log pages. A new key's secret is shown once, in the response that made
it; the audit log pages by cursor, newest first, like the API."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from dotmac_isp.modules.identity import schemas, service
from dotmac_isp.modules.identity.deps import DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import ALL_PERMISSIONS, Permission
from dotmac_isp.modules.identity.web_users import principal_of
from dotmac_isp.shared.db import Audited
from dotmac_isp.shared.errors import AppError
from dotmac_isp.shared.pagination import PageParams, web_page_params
from dotmac_isp.web.forms import FormErrors, form_errors
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/admin", include_in_schema=False)
P = Permission
PAGE = 50
ACTIONS = ("create", "update", "delete")


KEY_LABELS = {"name": "Name", "expires": "Expires on", "expires_at": "Expires on",
              "scopes": "Permissions"}


def _keys_page(request: Request, session: DbSession, user: User, *, offset: int = 0,
               created: tuple[Any, str] | None = None, values: dict[str, Any] | None = None,
               errors: FormErrors | None = None, status_code: int = 200) -> HTMLResponse:
    principal = principal_of(request)
    return render(request, "identity/api_keys.html", {
        "current_user": user, "params": {},
        "page": service.list_api_keys(session, user.tenant_id, web_page_params(PAGE, offset)),
        "created": created, "values": values or {"name": "", "scopes": [], "expires": ""},
        "errors": errors or [], "can_write": principal.has(P.API_KEYS_WRITE),
        "scopes": sorted(ALL_PERMISSIONS), "held": principal.permissions,
    }, status_code=status_code)


@router.get("/api-keys", response_class=HTMLResponse)
def api_keys(request: Request, session: DbSession, offset: int = 0,
             user: User = page_permission(P.API_KEYS_READ)) -> HTMLResponse:
    return _keys_page(request, session, user, offset=offset)


@router.post("/api-keys", response_class=HTMLResponse)
async def create_api_key(request: Request, session: DbSession,
                         user: User = page_permission(P.API_KEYS_WRITE)) -> HTMLResponse:
    await verify_csrf(request)
    form = await request.form()
    expires = str(form.get("expires", "")).strip()
    scopes = sorted({str(s) for s in form.getlist("scopes")})
    values: dict[str, Any] = {"name": str(form.get("name", "")).strip(), "scopes": scopes,
                              "expires": expires}
    try:
        expires_at = None
        if expires:
            tz = ZoneInfo(service.get_tenant(session, user.tenant_id).timezone)
            expires_at = datetime.combine(date.fromisoformat(expires), time(), tz)
        data = schemas.ApiKeyCreate(name=values["name"], scopes=scopes,
                                    expires_at=expires_at)
        key, raw = service.create_api_key(session, principal_of(request), data)
    except ValidationError as exc:
        return _keys_page(request, session, user, values=values, status_code=422,
                          errors=form_errors(exc, KEY_LABELS))
    except ValueError:
        errors = FormErrors(KEY_LABELS)
        errors.add("expires", "use a date such as 2030-12-31")
        return _keys_page(request, session, user, values=values, status_code=422,
                          errors=errors)
    except AppError as exc:
        session.rollback()
        errors = FormErrors(KEY_LABELS)
        errors.refusal(exc)
        return _keys_page(request, session, user, values=values, errors=errors,
                          status_code=exc.status_code)
    # Rendered, not redirected: the secret must not travel in a cookie or a URL.
    return _keys_page(request, session, user, created=(key, raw), status_code=201)


@router.post("/api-keys/{key_id}/revoke")
async def revoke_api_key(request: Request, key_id: uuid.UUID, session: DbSession,
                         user: User = page_permission(P.API_KEYS_WRITE)) -> Response:
    await verify_csrf(request)
    key = service.revoke_api_key(session, principal_of(request), key_id)
    flash(request, f"API key {key.name} ({key.prefix}) is revoked; it no longer works.")
    return RedirectResponse("/admin/api-keys", status_code=303)


def entity_types() -> list[str]:
    """The tables whose changes are audited."""
    found: set[str] = set()
    stack: list[type] = [Audited]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        name = getattr(cls, "__tablename__", None)
        if isinstance(name, str):
            found.add(name)
    return sorted(found)


def _day(raw: str, tz: ZoneInfo, field: str, errors: list[str]) -> datetime | None:
    if not raw.strip():
        return None
    try:
        return datetime.combine(date.fromisoformat(raw.strip()), time(), tz)
    except ValueError:
        errors.append(f"{field}: use a date such as 2026-01-31")
        return None


@router.get("/audit", response_class=HTMLResponse)
def audit_log(request: Request, session: DbSession, actor: str = "", entity_type: str = "",
              action: str = "", since: str = "", until: str = "", cursor: str = "",
              user: User = page_permission(P.AUDIT_READ)) -> HTMLResponse:
    tenant = service.get_tenant(session, user.tenant_id)
    tz = ZoneInfo(tenant.timezone)
    errors: list[str] = []
    actor_id = None
    if actor:
        try:
            actor_id = uuid.UUID(actor)
        except ValueError:
            errors.append("actor: choose one from the list")
    if action and action not in ACTIONS:
        errors.append("action: choose create, update or delete")
    start = _day(since, tz, "from", errors)
    end = _day(until, tz, "to", errors)
    end = end + timedelta(days=1) if end else None  # the "to" day is included
    params = {"actor": actor, "entity_type": entity_type, "action": action, "since": since,
              "until": until}
    page = None
    if not errors:
        page = service.list_audit_log(session, user.tenant_id, web_page_params(PAGE, 0, cursor),
                                      entity_type=entity_type[:64] or None,
                                      action=action or None, actor_id=actor_id, since=start,
                                      until=end)
    staff = service.list_users(session, user.tenant_id, PageParams(limit=200)).items
    return render(request, "identity/audit.html", {
        "current_user": user, "page": page, "params": params, "errors": errors,
        "staff": staff, "entity_types": entity_types(), "actions": ACTIONS, "tz": tz,
    }, status_code=422 if errors else 200)
