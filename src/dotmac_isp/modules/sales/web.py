"""Staff pages of leads: the list with filters (stage, owner, follow-up due), the board by
stage with HTMX moves, a new lead, and the lead's page (details, moves, notes, coverage,
quotes, conversion, timeline)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from dotmac_isp.modules.identity.deps import AppSettings, DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.sales import (
    conversion,
    coverage,
    leads,
    schemas,
    web_leads,
    web_quotes,
    web_settings,
)
from dotmac_isp.modules.sales.web_common import helpers, names, staff
from dotmac_isp.shared.errors import AppError
from dotmac_isp.shared.pagination import PageParams, web_page_params
from dotmac_isp.web.forms import FormErrors, all_or_nothing
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/admin/sales", include_in_schema=False)
P = Permission
PAGE_SIZE = 25
LEAD_LABELS = {"name": "Name", "email": "Email", "phone": "Phone",
               "address_line1": "Address", "address_line2": "Address line 2", "city": "City",
               "region": "Region", "postal_code": "Postcode", "country": "Country",
               "latitude": "Latitude", "longitude": "Longitude", "owner_id": "Owner",
               "follow_up_date": "Follow-up date", "message": "Message",
               "stage": "Stage", "lost_reason": "Lost reason", "note": "Note", "body": "Note"}


@router.get("", response_class=HTMLResponse)
def home() -> RedirectResponse:
    return RedirectResponse("/admin/sales/leads", status_code=303)


@router.get("/leads", response_class=HTMLResponse)
def list_page(request: Request, session: DbSession, stage: str = "", owner: str = "",
              due: str = "", cursor: str = "",
              user: User = page_permission(P.SALES_READ)) -> HTMLResponse:
    ctx = helpers(session, user)
    filters: dict[str, Any] = {"stage": [stage] if stage in ctx["stages"] else None}
    if owner == "none":
        filters["unowned"] = True
    else:
        try:
            filters["owner_id"] = uuid.UUID(owner) if owner else None
        except ValueError:
            filters["owner_id"] = None
    filters["due_by"] = ctx["today"] if due else None
    try:
        page = leads.list_leads(session, user.tenant_id,
                                web_page_params(PAGE_SIZE, cursor=cursor), **filters)
    except AppError:  # a cursor that is not ours: the first page
        page = leads.list_leads(session, user.tenant_id, PageParams(limit=PAGE_SIZE),
                                **filters)
    people = staff(session, user.tenant_id)
    query = {k: v for k, v in {"stage": stage, "owner": owner, "due": due}.items() if v}
    return render(request, "sales/list.html", {
        **ctx, "page": page, "query": query, "people": people, "owner_names": names(people),
        "due_check": lambda lead: leads.follow_up_due(lead, ctx["today"]),
        "f": {"stage": stage, "owner": owner, "due": due}})


def board_context(session: Session, user: User, error: str = "") -> dict[str, Any]:
    people = staff(session, user.tenant_id)
    return {**helpers(session, user), "columns": leads.board(session, user.tenant_id),
            "owner_names": names(people), "next_stages": leads.next_stages,
            "board_error": error}


@router.get("/board", response_class=HTMLResponse)
def board_page(request: Request, session: DbSession,
               user: User = page_permission(P.SALES_READ)) -> HTMLResponse:
    return render(request, "sales/board.html", board_context(session, user))


@router.post("/leads/{lead_id}/move", response_class=HTMLResponse)
async def move(request: Request, lead_id: uuid.UUID, session: DbSession,
               user: User = page_permission(P.SALES_WRITE)) -> Response:
    """A stage move from the board (HTMX: the board comes back) or the lead's page."""
    form = await verify_csrf(request)
    htmx = request.headers.get("hx-request") == "true"
    errors = FormErrors(LEAD_LABELS)
    try:
        data = schemas.StageMove.model_validate({
            "stage": str(form.get("stage", "")), "lost_reason": str(form.get("lost_reason", "")),
            "note": str(form.get("note", ""))})
        all_or_nothing(session, lambda: leads.move_stage(session, user.tenant_id, lead_id,
                                                         data))
    except ValueError:
        errors.add("stage", "choose a stage")
    except AppError as exc:
        if exc.status_code == 404:
            raise
        errors.refusal(exc)
    if htmx:
        return render(request, "sales/_board.html",
                      board_context(session, user, "; ".join(errors)),
                      status_code=422 if errors else 200)
    if errors:
        return web_leads.lead_page(request, session, user, lead_id, move_errors=errors,
                                   status_code=422)
    flash(request, "Stage changed.")
    back = "/admin/sales/board" if form.get("back") == "board" else \
        f"/admin/sales/leads/{lead_id}"
    return RedirectResponse(back, status_code=303)


@router.post("/leads/{lead_id}/locate", response_class=HTMLResponse)
async def locate(request: Request, lead_id: uuid.UUID, session: DbSession,
                 user: User = page_permission(P.SALES_WRITE)) -> Response:
    await verify_csrf(request)
    try:
        all_or_nothing(session, lambda: coverage.locate(session, user.tenant_id, lead_id))
    except AppError as exc:
        if exc.status_code == 404:
            raise
        flash(request, f"Not placed: {exc.detail}")
    else:
        flash(request, "The address was placed on the map.")
    return RedirectResponse(f"/admin/sales/leads/{lead_id}", status_code=303)


@router.post("/leads/{lead_id}/convert", response_class=HTMLResponse)
async def convert(request: Request, lead_id: uuid.UUID, session: DbSession,
                  settings: AppSettings,
                  user: User = page_permission(P.SALES_WRITE)) -> Response:
    await verify_csrf(request)
    try:
        done = all_or_nothing(session, lambda: conversion.convert(
            session, settings, user.tenant_id, lead_id))
    except AppError as exc:
        if exc.status_code == 404:
            raise
        flash(request, f"Not converted: {exc.detail}")
    else:
        flash(request, "Converted: customer, services and installation made." if done.created
              else "The lead was converted already.")
    return RedirectResponse(f"/admin/sales/leads/{lead_id}", status_code=303)


router.include_router(web_leads.router)
router.include_router(web_quotes.router)
router.include_router(web_settings.router)
