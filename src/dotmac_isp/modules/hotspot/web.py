"""Staff pages: voucher plans, batches (cards PDF, CSV, sell), vouchers (state filter, key
paging, detail with sessions, sell, revoke) and captive-portal sites."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dotmac_isp.modules.hotspot import api as hotspot_api
from dotmac_isp.modules.hotspot import cards, schemas, service, sites
from dotmac_isp.modules.hotspot.enums import PortalFlow, VoucherState
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.identity.deps import DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.resellers import lookup as reseller_lookup
from dotmac_isp.shared.errors import AppError
from dotmac_isp.shared.pagination import PageParams, web_page_params
from dotmac_isp.web.forms import FormErrors, FormReader, all_or_nothing, validate_form
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/admin/hotspot", include_in_schema=False)
P = Permission
PAGE = 50
PLAN_LABELS = {"name": "Name", "price": "Price", "wholesale_price": "Wholesale price",
               "currency": "Currency",
               "time_allowance_seconds": "Time (minutes)", "data_allowance_bytes": "Data (MB)",
               "validity_seconds": "Valid after first login (hours)",
               "download_kbps": "Download (kbit/s)", "upload_kbps": "Upload (kbit/s)",
               "devices": "Devices at once", "mac_login": "Allow MAC login",
               "description": "Description"}
BATCH_LABELS = {"plan_id": "Plan", "count": "How many", "name": "Batch name",
                "note": "Note", "code_length": "Code length",
                "reseller_id": "Sell to reseller"}
SITE_LABELS = {"name": "Name", "flow": "Portal flow", "login_url": "NAS login URL",
               "allowed_hosts": "NAS hosts allowed", "title": "Headline",
               "welcome": "Welcome text", "terms": "Terms of use",
               "primary_color": "Colour", "background_color": "Background",
               "is_default": "Default site"}


def _overview(request: Request, session: DbSession, user: User, **extra: Any) -> HTMLResponse:
    plans = service.list_plans(session, user.tenant_id, PageParams(limit=200)).items
    batches = service.list_batches(session, user.tenant_id, PageParams(limit=20)).items
    context = {"current_user": user, "plans": plans, "batches": batches,
               "plan_names": {p.id: p.name for p in plans}, "plan_labels": PLAN_LABELS,
               "batch_labels": BATCH_LABELS, "plan_errors": FormErrors(PLAN_LABELS),
               "batch_errors": FormErrors(BATCH_LABELS), "plan_form": {}, "batch_form": {},
               "resellers": reseller_lookup.names(session, user.tenant_id), **extra}
    failed = bool(context["plan_errors"] or context["batch_errors"])
    return render(request, "hotspot/index.html", context, status_code=422 if failed else 200)


@router.get("", response_class=HTMLResponse)
def overview(request: Request, session: DbSession,
             user: User = page_permission(P.HOTSPOT_READ)) -> HTMLResponse:
    return _overview(request, session, user)


def _scaled(reader: FormReader, name: str, factor: int) -> int | None:
    value = reader.whole(name)
    return value * factor if value is not None else None


@router.post("/plans", response_class=HTMLResponse)
async def create_plan(request: Request, session: DbSession,
                      user: User = page_permission(P.HOTSPOT_WRITE)) -> Response:
    form = await verify_csrf(request)
    reader = FormReader(form, PLAN_LABELS)
    data = {"name": reader.text("name", required=True), "price": reader.raw("price"),
            "wholesale_price": reader.raw("wholesale_price") or None,
            "currency": reader.raw("currency") or None, "description": reader.raw("description"),
            "time_allowance_seconds": _scaled(reader, "time_allowance_seconds", 60),
            "data_allowance_bytes": _scaled(reader, "data_allowance_bytes", 10**6),
            "validity_seconds": _scaled(reader, "validity_seconds", 3600),
            "download_kbps": reader.whole("download_kbps"),
            "upload_kbps": reader.whole("upload_kbps"),
            "devices": reader.whole("devices") or 1, "mac_login": reader.checked("mac_login")}
    body, errors = validate_form(schemas.PlanCreate, {
        k: v for k, v in data.items() if k not in reader.failed()}, PLAN_LABELS)
    errors.merge(reader.errors)
    if body is not None and not errors:
        try:
            plan = all_or_nothing(session, lambda: service.create_plan(session, user.tenant_id,
                                                                       body))
        except AppError as exc:
            errors.refusal(exc)
        else:
            flash(request, f"Voucher plan {plan.name} added.")
            return RedirectResponse("/admin/hotspot", status_code=303)
    return _overview(request, session, user, plan_errors=errors, plan_form=form)


@router.post("/batches", response_class=HTMLResponse)
async def create_batch(request: Request, session: DbSession,
                       user: User = page_permission(P.HOTSPOT_WRITE)) -> Response:
    form = await verify_csrf(request)
    reader = FormReader(form, BATCH_LABELS)
    data = {"plan_id": reader.text("plan_id", required=True),
            "count": reader.whole("count", required=True), "name": reader.raw("name"),
            "note": reader.raw("note"), "code_length": reader.whole("code_length") or 10,
            "reseller_id": reader.raw("reseller_id") or None}
    body, errors = validate_form(schemas.BatchCreate, {
        k: v for k, v in data.items() if k not in reader.failed()}, BATCH_LABELS)
    errors.merge(reader.errors)
    if body is not None and not errors:
        try:
            batch = all_or_nothing(session, lambda: service.create_batch(
                session, user.tenant_id, body, created_by=user.email))
        except AppError as exc:
            errors.refusal(exc)
        else:
            flash(request, f"{batch.count} vouchers generated.")
            return RedirectResponse(f"/admin/hotspot/batches/{batch.id}", status_code=303)
    return _overview(request, session, user, batch_errors=errors, batch_form=form)


@router.get("/batches/{batch_id}", response_class=HTMLResponse)
def batch_detail(request: Request, batch_id: uuid.UUID, session: DbSession,
                 user: User = page_permission(P.HOTSPOT_READ)) -> HTMLResponse:
    return batch_page(request, batch_id, session, user)


def batch_page(request: Request, batch_id: uuid.UUID, session: DbSession, user: User, *,
               sell_errors: FormErrors | None = None, sell_form: dict[str, str] | None = None,
               status_code: int = 200) -> HTMLResponse:
    batch = service.get_batch(session, user.tenant_id, batch_id)
    plan = service.get_plan(session, user.tenant_id, batch.plan_id)
    vouchers = service.batch_vouchers(session, user.tenant_id, batch_id)
    return render(request, "hotspot/batch.html", {
        "current_user": user, "batch": batch, "plan": plan, "vouchers": vouchers[:500],
        "states": {v.id: service.state_of(v) for v in vouchers[:500]},
        "allowance": cards.allowance(plan),
        "resellers": reseller_lookup.names(session, user.tenant_id),
        "own_staff": request.state.principal.reseller_id is None,
        "sell_errors": sell_errors or FormErrors({"reseller_id": "Reseller"}),
        "sell_form": sell_form or {}}, status_code=status_code)


@router.get("/batches/{batch_id}/cards.pdf")
def batch_cards(batch_id: uuid.UUID, session: DbSession,
                user: User = page_permission(P.HOTSPOT_READ)) -> Response:
    return hotspot_api.cards_response(session, user.tenant_id, batch_id)


@router.get("/batches/{batch_id}/vouchers.csv")
def batch_csv(batch_id: uuid.UUID, session: DbSession,
              user: User = page_permission(P.HOTSPOT_READ)) -> Response:
    return hotspot_api.csv_export(session, user.tenant_id, batch_id)


@router.post("/batches/{batch_id}/sell")
async def sell_batch(request: Request, batch_id: uuid.UUID, session: DbSession,
                     user: User = page_permission(P.HOTSPOT_WRITE)) -> Response:
    form = await verify_csrf(request)
    sold_to = str(form.get("sold_to", "")).strip()[:200]
    if not sold_to:
        flash(request, "Sold to: required.")
    else:
        count = service.sell_batch(session, user.tenant_id, batch_id, sold_to)
        flash(request, f"{count} vouchers marked sold to {sold_to}.")
    return RedirectResponse(f"/admin/hotspot/batches/{batch_id}", status_code=303)


@router.get("/vouchers", response_class=HTMLResponse)
def voucher_list(request: Request, session: DbSession, state: str = "", code: str = "",
                 cursor: str = "", user: User = page_permission(P.HOTSPOT_READ)) -> HTMLResponse:
    chosen = state if state in {s.value for s in VoucherState} else ""
    typed = "".join(ch for ch in code if ch.isalnum())[:32]
    page = service.list_vouchers(session, user.tenant_id, web_page_params(PAGE, 0, cursor),
                                 state=VoucherState(chosen) if chosen else None,
                                 code=typed or None)
    return render(request, "hotspot/vouchers.html", {
        "current_user": user, "page": page, "filters": {"state": chosen, "code": typed},
        "states": [s.value for s in VoucherState],
        "shown": {v.id: service.state_of(v) for v in page.items}})


@router.get("/vouchers/{voucher_id}", response_class=HTMLResponse)
def voucher_page(request: Request, voucher_id: uuid.UUID, session: DbSession,
                 user: User = page_permission(P.HOTSPOT_READ)) -> HTMLResponse:
    voucher = service.get_voucher(session, user.tenant_id, voucher_id)
    plan = service.get_plan(session, user.tenant_id, voucher.plan_id)
    return render(request, "hotspot/voucher.html", {
        "current_user": user, "voucher": voucher, "plan": plan,
        "state": service.state_of(voucher), "allowance": cards.allowance(plan),
        "sessions": service.voucher_sessions(session, user.tenant_id, voucher_id),
        "can_write": request.state.principal.has(P.HOTSPOT_WRITE)})


@router.post("/vouchers/{voucher_id}/revoke")
async def revoke(request: Request, voucher_id: uuid.UUID, session: DbSession,
                 user: User = page_permission(P.HOTSPOT_WRITE)) -> Response:
    form = await verify_csrf(request)
    try:
        voucher = service.revoke_voucher(session, user.tenant_id, voucher_id,
                                         reason=str(form.get("reason", ""))[:200],
                                         requested_by=user.email)
        flash(request, f"Voucher {voucher.code} revoked.")
    except AppError as exc:
        flash(request, exc.detail)
    return RedirectResponse(f"/admin/hotspot/vouchers/{voucher_id}", status_code=303)


@router.post("/vouchers/{voucher_id}/sell")
async def sell(request: Request, voucher_id: uuid.UUID, session: DbSession,
               user: User = page_permission(P.HOTSPOT_WRITE)) -> Response:
    form = await verify_csrf(request)
    sold_to = str(form.get("sold_to", "")).strip()[:200]
    try:
        if not sold_to:
            flash(request, "Sold to: required.")
        else:
            service.sell_voucher(session, user.tenant_id, voucher_id, sold_to)
            flash(request, f"Marked sold to {sold_to}.")
    except AppError as exc:
        flash(request, exc.detail)
    return RedirectResponse(f"/admin/hotspot/vouchers/{voucher_id}", status_code=303)


def _sites_page(request: Request, session: DbSession, user: User, form: dict[str, Any],
                errors: FormErrors | None = None) -> HTMLResponse:
    return render(request, "hotspot/sites.html", {
        "current_user": user, "sites": sites.list_sites(session, user.tenant_id,
                                                        PageParams(limit=200)).items,
        "labels": SITE_LABELS, "form": form, "errors": errors or FormErrors(SITE_LABELS),
        "flows": [f.value for f in PortalFlow],
        "slug": identity_service.get_tenant(session, user.tenant_id).slug},
        status_code=422 if errors else 200)


@router.get("/sites", response_class=HTMLResponse)
def site_list(request: Request, session: DbSession,
              user: User = page_permission(P.HOTSPOT_READ)) -> HTMLResponse:
    return _sites_page(request, session, user, {})


@router.post("/sites", response_class=HTMLResponse)
async def create_site(request: Request, session: DbSession,
                      user: User = page_permission(P.HOTSPOT_WRITE)) -> Response:
    form = await verify_csrf(request)
    texts = {k: str(form.get(k, "")).strip() for k in SITE_LABELS if k != "is_default"}
    data: dict[str, Any] = {k: v for k, v in texts.items() if v or k == "name"}
    data["is_default"] = bool(form.get("is_default"))
    body, errors = validate_form(schemas.SiteCreate, data, SITE_LABELS)
    if body is not None:
        try:
            site = all_or_nothing(session, lambda: sites.create_site(session, user.tenant_id,
                                                                     body))
        except AppError as exc:
            errors.refusal(exc)
        else:
            flash(request, f"Hotspot site {site.name} added.")
            return RedirectResponse("/admin/hotspot/sites", status_code=303)
    return _sites_page(request, session, user, form, errors)
