"""Staff pages of quotes: a new quote from the lead's page, the quote's page (lines, validity
and notes, send, PDF) and its answer."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from dotmac_isp.modules.identity.deps import AppSettings, DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.sales import leads, quotes, schemas, sending
from dotmac_isp.modules.sales.enums import EDITABLE, QuoteStatus
from dotmac_isp.modules.sales.web_common import helpers
from dotmac_isp.modules.services import catalogue
from dotmac_isp.shared.errors import AppError
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.web.forms import FormErrors, all_or_nothing, validate_form
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(include_in_schema=False)
P = Permission
LABELS = {"kind": "Kind", "plan_id": "Plan", "description": "Description",
          "quantity": "Quantity", "unit_price": "Unit price", "term_months": "Term (months)",
          "valid_until": "Valid until", "notes": "Notes", "lead_id": "Lead"}
LINE_FIELDS = ("kind", "plan_id", "description", "quantity", "unit_price", "term_months")


def _line_data(form: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
    shown = {k: str(form.get(k, "")).strip() for k in LINE_FIELDS}
    data: dict[str, Any] = {k: v for k, v in shown.items() if v}
    if shown["kind"] != "plan":
        data.pop("plan_id", None)
    return shown, data


def _placed(errors: FormErrors) -> FormErrors:
    """A rule over the whole line ("a one-off item needs a unit price") shown beside the
    field it names."""
    out = FormErrors(LABELS)
    for field, lines in errors.by_field.items():
        for line in lines:
            out.put(field, line)
    for line in errors.general:
        named = [f for f in ("unit_price", "description", "plan_id", "quantity")
                 if LABELS[f].lower() in line.lower() or f in line]
        out.put(named[0] if named else None, line)
    return out


def quote_page(request: Request, session: Session, user: User, quote_id: uuid.UUID, *,
               errors: FormErrors | None = None, form: dict[str, Any] | None = None,
               status_code: int = 200) -> HTMLResponse:
    quote = quotes.get_quote(session, user.tenant_id, quote_id)
    lead = leads.get_lead(session, user.tenant_id, quote.lead_id)
    ctx = helpers(session, user)
    return render(request, "sales/quote.html", {
        **ctx, "quote": quote, "lead": lead, "lines": quotes.lines_of(
            session, user.tenant_id, quote.id),
        "editable": QuoteStatus(quote.status) in EDITABLE,
        "expired": quotes.expired(quote, ctx["today"]),
        "plans": list(catalogue.list_plans(session, user.tenant_id,
                                           PageParams(limit=200)).items),
        "errors": errors, "form": form or {"kind": "plan", "quantity": "1"},
        "labels": LABELS, "line_actions": QuoteStatus(quote.status) in EDITABLE},
        status_code=status_code)


@router.post("/leads/{lead_id}/quotes", response_class=HTMLResponse)
async def new_quote(request: Request, lead_id: uuid.UUID, session: DbSession,
                    user: User = page_permission(P.SALES_WRITE)) -> Response:
    """A quote for the lead, with the plan chosen on the lead's page."""
    form = await verify_csrf(request)
    lead = leads.get_lead(session, user.tenant_id, lead_id)
    plan = str(form.get("plan_id", "")).strip()
    lines = [{"kind": "plan", "plan_id": plan}] if plan else []
    try:
        body = schemas.QuoteCreate.model_validate({"lead_id": lead.id, "lines": lines})
        made = all_or_nothing(session, lambda: quotes.create_quote(session, user.tenant_id,
                                                                   body))
    except (AppError, ValueError) as exc:
        flash(request, f"No quote made: {getattr(exc, 'detail', 'choose a plan')}")
        return RedirectResponse(f"/admin/sales/leads/{lead.id}", status_code=303)
    flash(request, f"Quote {made.number} started.")
    return RedirectResponse(f"/admin/sales/quotes/{made.id}", status_code=303)


@router.get("/quotes/{quote_id}", response_class=HTMLResponse)
def detail(request: Request, quote_id: uuid.UUID, session: DbSession,
           user: User = page_permission(P.SALES_READ)) -> HTMLResponse:
    return quote_page(request, session, user, quote_id)


@router.post("/quotes/{quote_id}/lines", response_class=HTMLResponse)
async def add_line(request: Request, quote_id: uuid.UUID, session: DbSession,
                   user: User = page_permission(P.SALES_WRITE)) -> Response:
    form = await verify_csrf(request)
    quotes.get_quote(session, user.tenant_id, quote_id)
    shown, data = _line_data(form)
    parsed, errors = validate_form(schemas.LineIn, data, LABELS)
    errors = _placed(errors)
    if parsed is not None:
        valid = parsed
        try:
            all_or_nothing(session, lambda: quotes.add_line(session, user.tenant_id, quote_id,
                                                            valid))
        except AppError as exc:
            errors.refusal(exc)
        else:
            return RedirectResponse(f"/admin/sales/quotes/{quote_id}", status_code=303)
    return quote_page(request, session, user, quote_id, errors=errors, form=shown,
                      status_code=422)


@router.post("/quotes/{quote_id}/lines/{line_id}/remove", response_class=HTMLResponse)
async def remove_line(request: Request, quote_id: uuid.UUID, line_id: uuid.UUID,
                      session: DbSession,
                      user: User = page_permission(P.SALES_WRITE)) -> Response:
    await verify_csrf(request)
    quotes.get_quote(session, user.tenant_id, quote_id)
    try:
        all_or_nothing(session, lambda: quotes.remove_line(session, user.tenant_id, quote_id,
                                                           line_id))
    except AppError as exc:
        if exc.status_code == 404:
            raise
        flash(request, f"Not removed: {exc.detail}")
    return RedirectResponse(f"/admin/sales/quotes/{quote_id}", status_code=303)


@router.post("/quotes/{quote_id}", response_class=HTMLResponse)
async def update(request: Request, quote_id: uuid.UUID, session: DbSession,
                 user: User = page_permission(P.SALES_WRITE)) -> Response:
    form = await verify_csrf(request)
    quotes.get_quote(session, user.tenant_id, quote_id)
    shown = {k: str(form.get(k, "")).strip() for k in ("valid_until", "notes")}
    data = {k: v for k, v in shown.items() if v or k == "notes"}
    parsed, errors = validate_form(schemas.QuoteUpdate, data, LABELS)
    if parsed is not None:
        valid = parsed
        try:
            all_or_nothing(session, lambda: quotes.update_quote(session, user.tenant_id,
                                                                quote_id, valid))
        except AppError as exc:
            errors.refusal(exc)
        else:
            flash(request, "Quote saved.")
            return RedirectResponse(f"/admin/sales/quotes/{quote_id}", status_code=303)
    return quote_page(request, session, user, quote_id, errors=errors, status_code=422)


@router.post("/quotes/{quote_id}/send", response_class=HTMLResponse)
async def send(request: Request, quote_id: uuid.UUID, session: DbSession,
               settings: AppSettings,
               user: User = page_permission(P.SALES_WRITE)) -> Response:
    await verify_csrf(request)
    quotes.get_quote(session, user.tenant_id, quote_id)
    try:
        sent = all_or_nothing(session, lambda: sending.send_quote(
            session, settings, user.tenant_id, quote_id))
    except AppError as exc:
        if exc.status_code == 404:
            raise
        flash(request, f"Not sent: {exc.detail}")
    else:
        flash(request, f"Quote {sent.quote.number} sent to {sent.quote.sent_to}.")
    return RedirectResponse(f"/admin/sales/quotes/{quote_id}", status_code=303)


@router.get("/quotes/{quote_id}/pdf")
def pdf(quote_id: uuid.UUID, session: DbSession,
        user: User = page_permission(P.SALES_READ)) -> Response:
    name, content = sending.document(session, user.tenant_id, quote_id)
    return Response(content, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})
