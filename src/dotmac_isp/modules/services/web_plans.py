"""Staff pages to create and edit plans and add-ons. Speeds, cap and RADIUS attributes are set
when a plan is created; an edit changes its commercial fields only, so subscribers keep the
service they signed up for. Archiving stops sales; subscriptions on the plan keep it."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from dotmac_isp.modules.identity.deps import DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.services import catalogue, schemas
from dotmac_isp.modules.services.enums import BillingCycle, PlanKind
from dotmac_isp.shared.errors import Conflict
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.web.forms import FormReader
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/admin", include_in_schema=False)
P = Permission
SPEEDS = ("download_kbps", "upload_kbps", "burst_download_kbps", "burst_upload_kbps",
          "burst_threshold_download_kbps", "burst_threshold_upload_kbps",
          "fup_download_kbps", "fup_upload_kbps")
WHOLE = (*SPEEDS, "burst_time_seconds", "data_cap_mb", "min_contract_months",
         "session_timeout_seconds", "interim_interval_seconds")
LABELS = {
    "name": "Name", "kind": "Kind", "description": "Description", "price": "Price",
    "setup_fee": "Setup fee", "billing_cycle": "Billing cycle",
    "download_kbps": "Download (kbit/s)", "upload_kbps": "Upload (kbit/s)",
    "burst_download_kbps": "Burst download (kbit/s)", "burst_upload_kbps": "Burst upload (kbit/s)",
    "burst_threshold_download_kbps": "Burst threshold download (kbit/s)",
    "burst_threshold_upload_kbps": "Burst threshold upload (kbit/s)",
    "burst_time_seconds": "Burst time (seconds)", "data_cap_mb": "Data cap (MB)",
    "fup_download_kbps": "Download after the cap (kbit/s)",
    "fup_upload_kbps": "Upload after the cap (kbit/s)",
    "min_contract_months": "Minimum contract (months)",
    "session_timeout_seconds": "Session timeout (seconds)",
    "interim_interval_seconds": "Accounting interim interval (seconds)",
    "radius_attributes": "RADIUS attributes", "recurring": "Recurring",
    "require_cpe_mac": "Accept only from the installed CPE's MAC",
    "plan_kinds": "For plan kinds",
}
ADDON_LABELS = {k: LABELS[k] for k in ("name", "description", "price", "recurring",
                                        "plan_kinds")}


def _attributes(reader: FormReader) -> dict[str, str | int]:
    """One "Name = value" a line; whole numbers are sent as integers."""
    found: dict[str, str | int] = {}
    for number, line in enumerate(reader.raw("radius_attributes").splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip() or not value.strip():
            reader.fail("radius_attributes", f"line {number} is not Name = value")
            continue
        text = value.strip()
        found[name.strip()] = int(text) if text.isdigit() else text
    return found


def _context(user: User, **extra: Any) -> dict[str, Any]:
    return {"current_user": user, "labels": LABELS, "kinds": [k.value for k in PlanKind],
            "cycles": [c.value for c in BillingCycle], "errors": [], **extra}


@router.get("/plans/new", response_class=HTMLResponse)
def new_plan(request: Request, user: User = page_permission(P.SERVICES_WRITE)) -> HTMLResponse:
    return render(request, "services/plan_form.html", _context(user, plan=None, form={}))


@router.post("/plans/new", response_class=HTMLResponse)
async def create_plan(request: Request, session: DbSession,
                      user: User = page_permission(P.SERVICES_WRITE)) -> Response:
    form = await verify_csrf(request)
    reader = FormReader(form, LABELS)
    data: dict[str, Any] = {"name": reader.text("name"), "description": reader.raw("description"),
                            "kind": reader.raw("kind") or "internet",
                            "billing_cycle": reader.raw("billing_cycle") or "monthly",
                            "price": reader.amount("price", required=True),
                            "setup_fee": reader.amount("setup_fee") or 0,
                            "radius_attributes": _attributes(reader),
                            "require_cpe_mac": reader.checked("require_cpe_mac")}
    for name in WHOLE:
        data[name] = reader.whole(name)
    bad = {e.split(":")[0] for e in reader.errors}
    data = {k: v for k, v in data.items() if v is not None}
    try:
        plan_in = schemas.PlanCreate.model_validate(data)
    except ValidationError as exc:
        reader.add_validation(exc, skip={k for k in LABELS if LABELS[k] in bad})
        plan_in = None
    if plan_in is not None and not reader.errors:
        try:
            plan = catalogue.create_plan(session, user.tenant_id, plan_in)
        except Conflict as exc:
            reader.fail("name", exc.detail)
        else:
            flash(request, f"Plan {plan.name} created.")
            return RedirectResponse("/admin/plans", status_code=303)
    return render(request, "services/plan_form.html",
                  _context(user, plan=None, form=form, errors=reader.errors), status_code=422)


@router.get("/plans/{plan_id}/edit", response_class=HTMLResponse)
def edit_plan(request: Request, plan_id: uuid.UUID, session: DbSession,
              user: User = page_permission(P.SERVICES_WRITE)) -> HTMLResponse:
    plan = catalogue.get_plan(session, user.tenant_id, plan_id)
    return render(request, "services/plan_form.html", _context(user, plan=plan, form={
        "name": plan.name, "description": plan.description, "price": plan.price,
        "setup_fee": plan.setup_fee, "min_contract_months": plan.min_contract_months,
        "session_timeout_seconds": plan.session_timeout_seconds or "",
        "interim_interval_seconds": plan.interim_interval_seconds,
        "require_cpe_mac": plan.require_cpe_mac}))


@router.post("/plans/{plan_id}/edit", response_class=HTMLResponse)
async def save_plan(request: Request, plan_id: uuid.UUID, session: DbSession,
                    user: User = page_permission(P.SERVICES_WRITE)) -> Response:
    form = await verify_csrf(request)
    plan = catalogue.get_plan(session, user.tenant_id, plan_id)
    reader = FormReader(form, LABELS)
    data: dict[str, Any] = {"name": reader.text("name", required=True),
                            "description": reader.raw("description"),
                            "price": reader.amount("price", required=True),
                            "setup_fee": reader.amount("setup_fee") or 0,
                            "min_contract_months": reader.whole("min_contract_months") or 0,
                            "session_timeout_seconds": reader.whole("session_timeout_seconds"),
                            "interim_interval_seconds":
                                reader.whole("interim_interval_seconds") or 300,
                            "require_cpe_mac": reader.checked("require_cpe_mac")}
    bad = {e.split(":")[0] for e in reader.errors}
    try:
        changes = schemas.PlanUpdate.model_validate(
            {k: v for k, v in data.items() if v is not None or k == "session_timeout_seconds"})
    except ValidationError as exc:
        reader.add_validation(exc, skip={k for k in LABELS if LABELS[k] in bad})
        changes = None
    if changes is not None and not reader.errors:
        try:
            catalogue.update_plan(session, user.tenant_id, plan.id, changes)
        except Conflict as exc:
            reader.fail("name", exc.detail)
        else:
            flash(request, f"Plan {plan.name} saved.")
            return RedirectResponse("/admin/plans", status_code=303)
    return render(request, "services/plan_form.html",
                  _context(user, plan=plan, form=form, errors=reader.errors), status_code=422)


@router.get("/addons", response_class=HTMLResponse)
def addon_list(request: Request, session: DbSession,
               user: User = page_permission(P.SERVICES_READ)) -> HTMLResponse:
    addons = catalogue.list_addons(session, user.tenant_id, PageParams(limit=200)).items
    return render(request, "services/addons.html", _context(user, addons=addons, form={}))


def _addon_data(reader: FormReader, form: Any) -> dict[str, Any]:
    kinds = form.getlist("plan_kinds") if hasattr(form, "getlist") else []
    return {"name": reader.text("name", required=True), "description": reader.raw("description"),
            "price": reader.amount("price", required=True),
            "recurring": reader.checked("recurring"), "plan_kinds": kinds}


@router.post("/addons", response_class=HTMLResponse)
async def create_addon(request: Request, session: DbSession,
                       user: User = page_permission(P.SERVICES_WRITE)) -> Response:
    await verify_csrf(request)
    form = await request.form()  # the multi-dict: plan kinds are checkboxes of one name
    reader = FormReader(form, ADDON_LABELS)
    data = _addon_data(reader, form)
    bad = {e.split(":")[0] for e in reader.errors}
    try:
        addon_in = schemas.AddonCreate.model_validate(
            {k: v for k, v in data.items() if v is not None})
    except ValidationError as exc:
        reader.add_validation(exc, skip={k for k in LABELS if LABELS[k] in bad})
        addon_in = None
    if addon_in is not None and not reader.errors:
        try:
            addon = catalogue.create_addon(session, user.tenant_id, addon_in)
        except Conflict as exc:
            reader.fail("name", exc.detail)
        else:
            flash(request, f"Add-on {addon.name} created.")
            return RedirectResponse("/admin/addons", status_code=303)
    addons = catalogue.list_addons(session, user.tenant_id, PageParams(limit=200)).items
    return render(request, "services/addons.html",
                  _context(user, addons=addons, form=data | {"price": reader.raw("price")},
                           errors=reader.errors), status_code=422)


@router.get("/addons/{addon_id}/edit", response_class=HTMLResponse)
def edit_addon(request: Request, addon_id: uuid.UUID, session: DbSession,
               user: User = page_permission(P.SERVICES_WRITE)) -> HTMLResponse:
    addon = catalogue.get_addon(session, user.tenant_id, addon_id)
    return render(request, "services/addon_form.html", _context(user, addon=addon, form={
        "name": addon.name, "description": addon.description, "price": addon.price}))


@router.post("/addons/{addon_id}/edit", response_class=HTMLResponse)
async def save_addon(request: Request, addon_id: uuid.UUID, session: DbSession,
                     user: User = page_permission(P.SERVICES_WRITE)) -> Response:
    form = await verify_csrf(request)
    addon = catalogue.get_addon(session, user.tenant_id, addon_id)
    reader = FormReader(form, ADDON_LABELS)
    data = {"name": reader.text("name", required=True), "description": reader.raw("description"),
            "price": reader.amount("price", required=True)}
    bad = {e.split(":")[0] for e in reader.errors}
    try:
        changes = schemas.AddonUpdate.model_validate(
            {k: v for k, v in data.items() if v is not None})
    except ValidationError as exc:
        reader.add_validation(exc, skip={k for k in LABELS if LABELS[k] in bad})
        changes = None
    if changes is not None and not reader.errors:
        if changes.name != addon.name and any(
                a.name == changes.name for a in catalogue.list_addons(
                    session, user.tenant_id, PageParams(limit=500)).items):
            reader.fail("name", f"an add-on named {changes.name!r} already exists")
        else:
            catalogue.update_addon(session, user.tenant_id, addon.id, changes)
            flash(request, f"Add-on {changes.name} saved.")
            return RedirectResponse("/admin/addons", status_code=303)
    return render(request, "services/addon_form.html",
                  _context(user, addon=addon, form=form, errors=reader.errors), status_code=422)


@router.post("/addons/{addon_id}/archive")
async def toggle_addon_archive(request: Request, addon_id: uuid.UUID, session: DbSession,
                               user: User = page_permission(P.SERVICES_WRITE)) -> Response:
    form = await verify_csrf(request)
    archive = form.get("archive") == "1"
    addon = catalogue.update_addon(session, user.tenant_id, addon_id,
                                   schemas.AddonUpdate(is_archived=archive))
    flash(request, f"Add-on {addon.name} {'archived' if archive else 'back on sale'}.")
    return RedirectResponse("/admin/addons", status_code=303)
