"""Staff pages of work orders: the list with filters, a new work order, its page with
status moves, scheduling, checklist, notes, photos and the signature."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.field import (
    files,
    reminders,
    schemas,
    service,
    web_actions,
    web_board,
    web_detail,
    web_myday,
    web_settings,
)
from dotmac_isp.modules.field.enums import WorkOrderKind, WorkOrderStatus
from dotmac_isp.modules.field.web_common import (
    helpers,
    parse_day,
    people,
    scope,
    technicians,
    zone_of,
)
from dotmac_isp.modules.identity.deps import DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.services import service as services
from dotmac_isp.modules.support.deps import SupportConf, file_response
from dotmac_isp.shared.errors import AppError, NotFound
from dotmac_isp.shared.pagination import PageParams, web_page_params
from dotmac_isp.web.forms import FormErrors, all_or_nothing, validate_form
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/admin/field", include_in_schema=False)
P = Permission
PAGE_SIZE = 25
STATUSES = [s.value for s in WorkOrderStatus]
KINDS = [k.value for k in WorkOrderKind]
NEW_LABELS = {"kind": "Kind", "customer": "Customer number", "description": "What to do",
              "subscription_id": "Service", "address": "Address",
              "duration_minutes": "Expected minutes", "ticket_id": "Ticket"}


@router.get("/work-orders", response_class=HTMLResponse)
def list_page(request: Request, session: DbSession, status: str = "", kind: str = "",
              technician: str = "", day: str = "", cursor: str = "",
              user: User = page_permission(P.FIELD_READ)) -> HTMLResponse:
    filters: dict[str, Any] = {
        "status": [status] if status in STATUSES else
        ([s for s in STATUSES if s not in ("done", "failed", "cancelled")]
         if status == "open" else None),
        "kind": kind if kind in KINDS else None}
    try:
        filters["technician_id"] = uuid.UUID(technician) if technician else None
    except ValueError:
        filters["technician_id"] = None
    chosen_day = parse_day(day) if day else None
    if chosen_day is not None:
        filters["starts_from"], filters["starts_before"] = reminders.day_bounds(
            chosen_day, str(zone_of(session, user.tenant_id)))
    try:
        page = service.list_work_orders(session, scope(request),
                                        web_page_params(PAGE_SIZE, cursor=cursor), **filters)
    except AppError:  # a cursor that is not ours: the first page
        page = service.list_work_orders(session, scope(request), PageParams(limit=PAGE_SIZE),
                                        **filters)
    query = {k: v for k, v in {"status": status, "kind": kind, "technician": technician,
                               "day": day}.items() if v}
    return render(request, "field/list.html", {
        **helpers(session, user), **people(session, user.tenant_id, list(page.items)),
        "page": page, "query": query, "statuses": STATUSES, "kinds": KINDS,
        "technicians": technicians(session, user.tenant_id),
        "f": {"status": status, "kind": kind, "technician": technician, "day": day}})


@router.get("/work-orders/new", response_class=HTMLResponse)
def new_page(request: Request, session: DbSession, customer: str = "", ticket: str = "",
             user: User = page_permission(P.FIELD_WRITE)) -> HTMLResponse:
    return _new_form(request, session, user, {"customer": customer, "ticket_id": ticket})


def _new_form(request: Request, session: Session, user: User, form: dict[str, Any],
              errors: FormErrors | None = None, status_code: int = 200) -> HTMLResponse:
    subs: list[Any] = []
    number = str(form.get("customer", "")).strip().upper()
    found = customers_service.customers_by_number(session, user.tenant_id, [number]) \
        if number else {}
    if number in found:
        subs = list(services.list_subscriptions(session, user.tenant_id, PageParams(limit=50),
                                                customer_id=found[number].id).items)
    return render(request, "field/new.html", {
        **helpers(session, user), "form": form, "errors": errors, "kinds": KINDS,
        "subscriptions": subs}, status_code=status_code)


@router.post("/work-orders/new", response_class=HTMLResponse)
async def create(request: Request, session: DbSession,
                 user: User = page_permission(P.FIELD_WRITE)) -> Response:
    form = await verify_csrf(request)
    number = str(form.get("customer", "")).strip().upper()
    match = customers_service.customers_by_number(session, user.tenant_id, [number]) \
        if number else {}
    data: dict[str, Any] = {
        "kind": str(form.get("kind", "")), "description": str(form.get("description", "")),
        "customer_id": match[number].id if number in match else uuid.UUID(int=0),
        "duration_minutes": str(form.get("duration_minutes", "") or 60)}
    for name in ("subscription_id", "ticket_id", "address"):
        if str(form.get(name, "")).strip():
            data[name] = str(form[name]).strip()
    parsed, errors = validate_form(schemas.WorkOrderCreate, data, NEW_LABELS,
                                   {"customer_id": "customer"})
    if number not in match:
        errors.add("customer", "give the customer's number, e.g. C000042")
    if parsed is not None and not errors:
        valid = parsed
        try:
            made = all_or_nothing(session, lambda: service.create_work_order(
                session, user.tenant_id, valid))
        except AppError as exc:
            errors.refusal(exc)
        else:
            flash(request, f"Work order {made.number} created.")
            return RedirectResponse(f"/admin/field/work-orders/{made.id}", status_code=303)
    return _new_form(request, session, user, form, errors, 422)


@router.get("/work-orders/{order_id}", response_class=HTMLResponse)
def detail(request: Request, order_id: uuid.UUID, session: DbSession,
           user: User = page_permission(P.FIELD_READ)) -> HTMLResponse:
    return web_detail.detail_page(request, session, user, order_id)


@router.get("/work-orders/{order_id}/files/{file_id}")
def download(request: Request, order_id: uuid.UUID, file_id: uuid.UUID, session: DbSession,
             conf: SupportConf, user: User = page_permission(P.FIELD_READ)) -> Response:
    attachment = files.get_attachment(session, scope(request), order_id, file_id)
    try:
        return file_response(attachment, files.read(conf, attachment))  # type: ignore[arg-type]
    except AppError as exc:
        raise NotFound(exc.detail) from exc


router.include_router(web_actions.router)
router.include_router(web_board.router)
router.include_router(web_myday.router)
router.include_router(web_settings.router)
