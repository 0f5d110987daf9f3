"""Staff pages: NAS clients, online sessions, session history, post-auth log, disconnect."""

from __future__ import annotations

import ipaddress
import re
import uuid

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from dotmac_isp.modules.identity.deps import AppSettings, DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.network.radius import health as radius_health
from dotmac_isp.modules.network.radius import nas as nas_service
from dotmac_isp.modules.network.radius import schemas, service
from dotmac_isp.modules.network.radius.enums import NasVendor
from dotmac_isp.shared.errors import AppError
from dotmac_isp.shared.pagination import PageParams, web_page_params
from dotmac_isp.shared.types import utcnow
from dotmac_isp.web.forms import FormErrors, all_or_nothing, form_errors
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/admin/radius", include_in_schema=False)
P = Permission
PAGE = 25
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _text(value: str) -> str:
    return _CONTROL.sub("", value).strip()[:64]


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def _ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip())) if value.strip() else None
    except ValueError:
        return None


def _sessions_page(request: Request, session: DbSession, user: User, *, online: bool,
                   nas: str, q: str, ip: str, offset: int, cursor: str) -> HTMLResponse:
    username, address = _text(q), _ip(ip)
    page = service.list_sessions(session, user.tenant_id,
                                 web_page_params(PAGE, offset, cursor), online=online,
                                 nas_id=_uuid(nas), username=username or None, ip=address)
    nas_list = nas_service.list_nas(session, user.tenant_id, PageParams(limit=200)).items
    return render(request, "radius/sessions.html", {
        "current_user": user, "page": page, "online": online, "nas_list": nas_list,
        "nas_names": {n.id: n.name for n in nas_list},
        "filters": {"nas": nas, "q": username, "ip": ip.strip() if address else ""},
        "ip_error": bool(ip.strip()) and address is None,
        "can_write": request.state.principal.has(P.NETWORK_WRITE)})


@router.get("/sessions", response_class=HTMLResponse)
def online_sessions(request: Request, session: DbSession, nas: str = "", q: str = "",
                    ip: str = "", offset: int = 0, cursor: str = "",
                    user: User = page_permission(P.NETWORK_READ)) -> HTMLResponse:
    return _sessions_page(request, session, user, online=True, nas=nas, q=q, ip=ip,
                          offset=offset, cursor=cursor)


@router.get("/history", response_class=HTMLResponse)
def session_history(request: Request, session: DbSession, nas: str = "", q: str = "",
                    ip: str = "", offset: int = 0, cursor: str = "",
                    user: User = page_permission(P.NETWORK_READ)) -> HTMLResponse:
    return _sessions_page(request, session, user, online=False, nas=nas, q=q, ip=ip,
                          offset=offset, cursor=cursor)


@router.post("/sessions/{radacctid}/disconnect")
async def disconnect(request: Request, session: DbSession,
                     radacctid: int = Path(ge=1, le=2**63 - 1),
                     user: User = page_permission(P.NETWORK_WRITE)) -> Response:
    await verify_csrf(request)
    row = service.get_session(session, user.tenant_id, radacctid)
    service.disconnect_session(session, user.tenant_id, radacctid, user.email)
    flash(request, f"Disconnect sent for {row.username} (session {row.acctsessionid}).")
    return RedirectResponse("/admin/radius/sessions", status_code=303)


@router.get("/post-auth", response_class=HTMLResponse)
def postauth_log(request: Request, session: DbSession, q: str = "", offset: int = 0,
                 cursor: str = "",
                 user: User = page_permission(P.NETWORK_READ)) -> HTMLResponse:
    username = _text(q)
    page = service.list_postauth(session, user.tenant_id,
                                 web_page_params(PAGE, offset, cursor),
                                 username=username or None)
    return render(request, "radius/postauth.html", {
        "current_user": user, "page": page, "q": username, "params": {"q": username}})


@router.get("/nas", response_class=HTMLResponse)
def nas_list(request: Request, session: DbSession, state: str = "",
             user: User = page_permission(P.NETWORK_READ)) -> HTMLResponse:
    """The NAS clients; ?state=down keeps those the dashboard counts as down."""
    return _nas_page(request, session, user, state=state)


NAS_LABELS = {"name": "Name", "address": "Address or range", "vendor": "Vendor",
              "secret": "Shared secret", "require_message_authenticator":
                  "Require Message-Authenticator"}


def _nas_page(request: Request, session: DbSession, user: User, *, state: str = "",
              errors: list[str] | None = None, form: dict[str, str] | None = None,
              status_code: int = 200) -> HTMLResponse:
    page = nas_service.list_nas(session, user.tenant_id, PageParams(limit=200))
    health = {h.nas.id: h for h in radius_health.nas_health(session, user.tenant_id, utcnow())}
    shown = [n for n in page.items if state != "down" or (n.id in health and health[n.id].down)]
    return render(request, "radius/nas.html", {
        "current_user": user, "nas_list": shown, "health": health,
        "state": "down" if state == "down" else "", "definition": radius_health.DEFINITION,
        "vendors": [v.value for v in NasVendor],
        "errors": errors or [], "form": form or {},
        "can_write": request.state.principal.has(P.NETWORK_WRITE)}, status_code=status_code)


@router.post("/nas", response_class=HTMLResponse)
async def create_nas(request: Request, session: DbSession, settings: AppSettings,
                     user: User = page_permission(P.NETWORK_WRITE)) -> Response:
    form = {k: str(v) for k, v in (await verify_csrf(request)).items()}
    try:
        data = schemas.NasCreate.model_validate({
            "name": form.get("name", "").strip(), "address": form.get("address", ""),
            "vendor": form.get("vendor") or "generic",
            "secret": form.get("secret") or None,
            "require_message_authenticator": form.get("require_message_authenticator") == "1"})
    except ValidationError as exc:
        return _nas_page(request, session, user, errors=form_errors(exc, NAS_LABELS), form=form,
                         status_code=422)
    try:
        nas, secret = all_or_nothing(session, lambda: nas_service.create_nas(
            session, settings, user.tenant_id, data))
    except AppError as exc:  # a name or address taken: said beside it
        errors = FormErrors(NAS_LABELS)
        errors.refusal(exc)
        return _nas_page(request, session, user, errors=errors, form=form, status_code=422)
    flash(request, f"NAS {nas.name} added. Its shared secret is {secret} - copy it now, "
                   "it is not shown again.")
    return RedirectResponse("/admin/radius/nas", status_code=303)
