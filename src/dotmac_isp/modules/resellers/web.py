"""Staff pages for resellers: the list, a reseller's details and brand, its staff and its
commission rules. Statements are in web_statements."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.identity.deps import DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.resellers import schemas, service, statements
from dotmac_isp.modules.services import catalogue
from dotmac_isp.shared.errors import AppError
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.web.forms import FormErrors, FormReader, validate_form
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/admin/resellers", include_in_schema=False)
P = Permission
READ, WRITE = page_permission(P.RESELLERS_READ), page_permission(P.RESELLERS_WRITE)
LABELS = {"name": "Name", "slug": "Portal address", "status": "Status",
          "contact_name": "Contact", "email": "Email", "phone": "Phone", "notes": "Notes",
          "display_name": "Brand name", "primary_colour": "Main colour",
          "accent_colour": "Accent colour", "logo": "Logo", "plan_id": "Plan",
          "percent": "Percent", "activation_amount": "Per activation", "month": "Month"}
RESELLER_FIELDS = ("name", "slug", "status", "contact_name", "email", "phone", "notes",
                   "display_name", "primary_colour", "accent_colour")


def _form(form: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {k: str(form.get(k, "")).strip() for k in RESELLER_FIELDS}
    data["email"] = data["email"] or None
    data["status"] = data["status"] or "active"
    data["primary_colour"] = data["primary_colour"] or "#1f4e79"
    data["accent_colour"] = data["accent_colour"] or "#f0a500"
    return data


@router.get("", response_class=HTMLResponse)
def reseller_list(request: Request, session: DbSession, user: User = READ) -> HTMLResponse:
    page = service.list_resellers(session, user.tenant_id, PageParams(limit=200))
    return render(request, "resellers/list.html", {"current_user": user, "page": page,
                                                   "form": {}, "errors": None})


@router.post("", response_class=HTMLResponse)
async def reseller_create(request: Request, session: DbSession,
                          user: User = WRITE) -> Response:
    form = await verify_csrf(request)
    data, errors = validate_form(schemas.ResellerIn, _form(form), LABELS)
    if data is not None:
        try:
            with session.begin_nested():
                made = service.create_reseller(session, user.tenant_id, data)
        except AppError as exc:
            errors.refusal(exc, "name" if "named" in exc.detail else "slug")
        else:
            flash(request, f"Reseller {made.name} created.")
            return RedirectResponse(f"/admin/resellers/{made.id}", status_code=303)
    page = service.list_resellers(session, user.tenant_id, PageParams(limit=200))
    return render(request, "resellers/list.html", {"current_user": user, "page": page,
                                                   "form": form, "errors": errors},
                  status_code=422)


def _detail(request: Request, session: Session, user: User, reseller_id: uuid.UUID, *,
            section: str = "details", form: dict[str, Any] | None = None,
            errors: FormErrors | None = None, status_code: int = 200) -> HTMLResponse:
    reseller = service.get_reseller(session, user.tenant_id, reseller_id)
    plans = catalogue.plans_by_id(session, user.tenant_id)
    return render(request, "resellers/detail.html", {
        "current_user": user, "reseller": reseller, "section": section,
        "tenant_slug": identity_service.get_tenant(session, user.tenant_id).slug,
        "customers": service.customer_count(session, user.tenant_id, reseller.id),
        "staff": service.staff(session, user.tenant_id, reseller.id),
        "rules": service.rules(session, user.tenant_id, reseller.id),
        "plans": plans,
        "statements": statements.list_statements(session, user.tenant_id, PageParams(limit=24),
                                                 reseller_id=reseller.id).items,
        "form": form or {}, "errors": errors,
        "can_write": request.state.principal.has(P.RESELLERS_WRITE)}, status_code=status_code)


@router.get("/{reseller_id}", response_class=HTMLResponse)
def reseller_detail(request: Request, reseller_id: uuid.UUID, session: DbSession,
                    user: User = READ) -> HTMLResponse:
    return _detail(request, session, user, reseller_id)


@router.get("/{reseller_id}/{section}", response_class=HTMLResponse)
def reseller_section(request: Request, reseller_id: uuid.UUID, section: str,
                     session: DbSession, user: User = READ) -> HTMLResponse:
    """The users, rules and statements of a reseller (sections of its page)."""
    if section not in ("users", "rules", "statements"):
        return _detail(request, session, user, reseller_id, status_code=404,
                       errors=FormErrors(lines=["No such page of a reseller."]))
    return _detail(request, session, user, reseller_id, section=section)


@router.post("/{reseller_id}", response_class=HTMLResponse)
async def reseller_update(request: Request, reseller_id: uuid.UUID, session: DbSession,
                          user: User = WRITE) -> Response:
    form = await verify_csrf(request)
    data, errors = validate_form(schemas.ResellerIn, _form(form), LABELS)
    if data is not None:
        update = schemas.ResellerUpdate(**data.model_dump())
        try:
            with session.begin_nested():
                service.update_reseller(session, user.tenant_id, reseller_id, update)
        except AppError as exc:
            errors.refusal(exc, "name" if "named" in exc.detail else "slug")
        else:
            flash(request, "Saved.")
            return RedirectResponse(f"/admin/resellers/{reseller_id}", status_code=303)
    return _detail(request, session, user, reseller_id, form=form, errors=errors,
                   status_code=422)


@router.post("/{reseller_id}/logo", response_class=HTMLResponse)
async def reseller_logo(request: Request, reseller_id: uuid.UUID, session: DbSession,
                        user: User = WRITE) -> Response:
    form = await verify_csrf(request)
    upload = form.get("logo")
    data: bytes | None = None
    if upload is not None and hasattr(upload, "read"):
        data = await upload.read(service.MAX_LOGO_BYTES + 1)
    errors = FormErrors(LABELS)
    if FormReader(form, LABELS).checked("remove_logo"):
        data = None
    elif not data:
        errors.add("logo", "choose a PNG or JPEG file")
    if not errors:
        try:
            with session.begin_nested():
                service.set_logo(session, user.tenant_id, reseller_id, data)
        except AppError as exc:
            errors.refusal(exc, "logo")
    if errors:
        return _detail(request, session, user, reseller_id, errors=errors, status_code=422)
    flash(request, "Logo saved." if data else "Logo removed.")
    return RedirectResponse(f"/admin/resellers/{reseller_id}", status_code=303)


@router.post("/{reseller_id}/users", response_class=HTMLResponse)
async def staff_add(request: Request, reseller_id: uuid.UUID, session: DbSession,
                    user: User = WRITE) -> Response:
    form = await verify_csrf(request)
    email = str(form.get("staff_email", "")).strip()
    errors = FormErrors({"staff_email": "Email", "email": "Email"})
    try:
        with session.begin_nested():
            added = service.add_staff_by_email(session, request.state.principal, reseller_id,
                                               email)
    except AppError as exc:
        errors.refusal(exc, "staff_email")
        return _detail(request, session, user, reseller_id, section="users",
                       form={"staff_email": email}, errors=errors, status_code=exc.status_code)
    flash(request, f"{added.email} now works for this reseller and sees only its customers.")
    return RedirectResponse(f"/admin/resellers/{reseller_id}/users", status_code=303)


@router.post("/{reseller_id}/users/{user_id}/remove", response_class=HTMLResponse)
async def staff_remove(request: Request, reseller_id: uuid.UUID, user_id: uuid.UUID,
                       session: DbSession, user: User = WRITE) -> Response:
    await verify_csrf(request)
    removed = service.remove_staff(session, request.state.principal, reseller_id, user_id)
    flash(request, f"{removed.email} is one of the tenant's own staff again.")
    return RedirectResponse(f"/admin/resellers/{reseller_id}/users", status_code=303)


@router.post("/{reseller_id}/rules", response_class=HTMLResponse)
async def rule_set(request: Request, reseller_id: uuid.UUID, session: DbSession,
                   user: User = WRITE) -> Response:
    form = await verify_csrf(request)
    reader = FormReader(form, LABELS)
    values = {"plan_id": reader.text("plan_id") or None,
              "percent": reader.amount("percent") or "0",
              "activation_amount": reader.amount("activation_amount") or "0"}
    errors, data = reader.errors, None
    if not errors:
        data, errors = validate_form(schemas.RuleIn, values, LABELS)
    if data is not None and not errors:
        try:
            with session.begin_nested():
                service.set_rule(session, user.tenant_id, reseller_id, data)
        except AppError as exc:
            errors.refusal(exc, "percent")
        else:
            flash(request, "Commission rule saved.")
            return RedirectResponse(f"/admin/resellers/{reseller_id}/rules", status_code=303)
    return _detail(request, session, user, reseller_id, section="rules", form=form,
                   errors=errors, status_code=422)


@router.post("/{reseller_id}/rules/{rule_id}/delete", response_class=HTMLResponse)
async def rule_delete(request: Request, reseller_id: uuid.UUID, rule_id: uuid.UUID,
                      session: DbSession, user: User = WRITE) -> Response:
    await verify_csrf(request)
    service.delete_rule(session, user.tenant_id, reseller_id, rule_id)
    flash(request, "Commission rule removed.")
    return RedirectResponse(f"/admin/resellers/{reseller_id}/rules", status_code=303)
