"""Staff pages of one lead: a new lead, the lead's page (details form, moves, notes,
coverage, quotes, conversion, timeline)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from dotmac_isp.modules.identity.deps import DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.sales import conversion, coverage, leads, quotes, schemas
from dotmac_isp.modules.sales.enums import LeadSource
from dotmac_isp.modules.sales.web_common import helpers, names, staff
from dotmac_isp.modules.services import catalogue
from dotmac_isp.shared.errors import AppError
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.web.forms import FormErrors, all_or_nothing, validate_form
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(include_in_schema=False)
P = Permission
FIELDS = ("name", "email", "phone", "address_line1", "address_line2", "city", "region",
          "postal_code", "country", "latitude", "longitude", "owner_id", "follow_up_date")
LABELS = {"name": "Name", "email": "Email", "phone": "Phone", "address_line1": "Address",
          "address_line2": "Address line 2", "city": "City", "region": "Region",
          "postal_code": "Postcode", "country": "Country", "latitude": "Latitude",
          "longitude": "Longitude", "owner_id": "Owner", "follow_up_date": "Follow-up date",
          "message": "Message", "body": "Note", "stage": "Stage", "lost_reason": "Lost reason"}


def _read(form: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """The form's values; an empty optional field is left out (or null when clearing)."""
    shown = {k: str(form.get(k, "")).strip() for k in fields}
    return shown


def _data(shown: dict[str, Any], *, clearing: bool) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in shown.items():
        if value:
            data[key] = value
        elif key in ("email", "owner_id", "follow_up_date", "latitude", "longitude"):
            if clearing:
                data[key] = None
        elif clearing or key != "name":
            data[key] = ""
    return data


@router.get("/leads/new", response_class=HTMLResponse)
def new_page(request: Request, session: DbSession,
             user: User = page_permission(P.SALES_WRITE)) -> HTMLResponse:
    return _new(request, session, user, {"owner_id": str(user.id)})


def _new(request: Request, session: Session, user: User, form: dict[str, Any],
         errors: FormErrors | None = None, status_code: int = 200) -> HTMLResponse:
    return render(request, "sales/new.html", {
        **helpers(session, user), "form": form, "errors": errors, "labels": LABELS,
        "people": staff(session, user.tenant_id)}, status_code=status_code)


@router.post("/leads/new", response_class=HTMLResponse)
async def create(request: Request, session: DbSession,
                 user: User = page_permission(P.SALES_WRITE)) -> Response:
    form = await verify_csrf(request)
    shown = _read(form, (*FIELDS, "message"))
    data = {**_data(shown, clearing=False), "source": LeadSource.STAFF}
    parsed, errors = validate_form(schemas.LeadCreate, data, LABELS)
    if parsed is not None:
        valid = parsed
        try:
            made = all_or_nothing(session, lambda: leads.create_lead(session, user.tenant_id,
                                                                     valid))
        except AppError as exc:
            errors.refusal(exc)
        else:
            flash(request, f"Lead {made.number} created.")
            return RedirectResponse(f"/admin/sales/leads/{made.id}", status_code=303)
    return _new(request, session, user, shown, errors, 422)


def lead_page(request: Request, session: Session, user: User, lead_id: uuid.UUID, *,
              edit_errors: FormErrors | None = None, edit_form: dict[str, Any] | None = None,
              move_errors: FormErrors | None = None, note_errors: FormErrors | None = None,
              status_code: int = 200) -> HTMLResponse:
    lead = leads.get_lead(session, user.tenant_id, lead_id)
    people = staff(session, user.tenant_id)
    found = quotes.quotes_of_lead(session, user.tenant_id, lead.id)
    accepted = conversion.accepted_quote(session, lead)
    timeline = leads.activities(session, user.tenant_id, lead.id, PageParams(limit=100)).items
    ctx = helpers(session, user)
    return render(request, "sales/lead.html", {
        **ctx, "lead": lead, "people": people, "owner_names": names(people),
        "next_stages": leads.next_stages(lead), "quotes": found, "accepted": accepted,
        "timeline": timeline, "coverage": coverage.lead_coverage(session, user.tenant_id, lead),
        "plans": [p for p in catalogue.list_plans(session, user.tenant_id,
                                                  PageParams(limit=200)).items],
        "edit": edit_form or {k: _shown(getattr(lead, k)) for k in FIELDS},
        "edit_errors": edit_errors, "move_errors": move_errors, "note_errors": note_errors,
        "labels": LABELS, "due": leads.follow_up_due(lead, ctx["today"])},
        status_code=status_code)


def _shown(value: Any) -> str:
    return "" if value is None else str(value)


@router.get("/leads/{lead_id}", response_class=HTMLResponse)
def detail(request: Request, lead_id: uuid.UUID, session: DbSession,
           user: User = page_permission(P.SALES_READ)) -> HTMLResponse:
    return lead_page(request, session, user, lead_id)


@router.post("/leads/{lead_id}", response_class=HTMLResponse)
async def update(request: Request, lead_id: uuid.UUID, session: DbSession,
                 user: User = page_permission(P.SALES_WRITE)) -> Response:
    form = await verify_csrf(request)
    leads.get_lead(session, user.tenant_id, lead_id)  # 404 before reading further
    shown = _read(form, FIELDS)
    parsed, errors = validate_form(schemas.LeadUpdate, _data(shown, clearing=True), LABELS)
    if parsed is not None:
        valid = parsed
        try:
            all_or_nothing(session, lambda: leads.update_lead(session, user.tenant_id,
                                                              lead_id, valid))
        except AppError as exc:
            errors.refusal(exc)
        else:
            flash(request, "Lead saved.")
            return RedirectResponse(f"/admin/sales/leads/{lead_id}", status_code=303)
    return lead_page(request, session, user, lead_id, edit_errors=errors, edit_form=shown,
                     status_code=422)


@router.post("/leads/{lead_id}/notes", response_class=HTMLResponse)
async def add_note(request: Request, lead_id: uuid.UUID, session: DbSession,
                   user: User = page_permission(P.SALES_WRITE)) -> Response:
    form = await verify_csrf(request)
    leads.get_lead(session, user.tenant_id, lead_id)
    parsed, errors = validate_form(schemas.NoteIn, {"body": str(form.get("body", ""))},
                                   LABELS)
    if parsed is None:
        return lead_page(request, session, user, lead_id, note_errors=errors,
                         status_code=422)
    leads.add_note(session, user.tenant_id, lead_id, parsed)
    flash(request, "Note added.")
    return RedirectResponse(f"/admin/sales/leads/{lead_id}", status_code=303)
