"""Public pages, no sign-in: the enquiry form per tenant (/enquiry/{tenant slug}) and the
quote a prospect opens with its signed link (/quote/{token}) to accept or decline it.
A refused post changes nothing and gets a plain message."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.identity.deps import AppSettings, DbSession
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.sales import answers, enquiry, schemas, tenant_settings
from dotmac_isp.shared.errors import AppError, NotFound
from dotmac_isp.web.forms import FormErrors, validate_form
from dotmac_isp.web.templating import render

router = APIRouter(include_in_schema=False)
FIELDS = ("name", "email", "phone", "address_line1", "city", "postal_code", "message")
LABELS = {"name": "Your name", "email": "Email", "phone": "Phone",
          "address_line1": "Street address", "city": "Town or city",
          "postal_code": "Postcode", "message": "Message", "consent": "Consent"}
ACCEPT_LABELS = {"name": "Your full name", "terms": "Terms"}


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _tenant(session: DbSession, slug: str) -> Tenant:
    tenant = identity_service.tenant_by_slug(session, slug)
    if not tenant.is_active:
        raise NotFound("no such company")
    return tenant


def _message(request: Request, title: str, message: str, status: int,
             tenant: Tenant | None = None) -> HTMLResponse:
    return render(request, "sales/public_message.html", {
        "title": title, "message": message, "tenant": tenant}, status_code=status)


def _form(request: Request, settings: AppSettings, tenant: Tenant, form: dict[str, Any],
          errors: FormErrors | None = None, status: int = 200) -> HTMLResponse:
    return render(request, "sales/enquiry.html", {
        "tenant": tenant, "form": form, "errors": errors, "labels": LABELS,
        "token": enquiry.form_token(settings, tenant), "honeypot": enquiry.HONEYPOT},
        status_code=status)


@router.get("/enquiry/{slug}", response_class=HTMLResponse)
def enquiry_page(request: Request, slug: str, session: DbSession,
                 settings: AppSettings) -> HTMLResponse:
    try:
        tenant = _tenant(session, slug)
    except AppError as exc:
        return _message(request, "Not found", exc.detail, exc.status_code)
    return _form(request, settings, tenant, {})


@router.post("/enquiry/{slug}", response_class=HTMLResponse)
async def post_enquiry(request: Request, slug: str, session: DbSession,
                       settings: AppSettings) -> HTMLResponse:
    try:
        tenant = _tenant(session, slug)
    except AppError as exc:
        return _message(request, "Not found", exc.detail, exc.status_code)
    raw = await request.form()
    form = {k: str(raw.get(k, ""))[:10_000].strip() for k in FIELDS}
    posted = enquiry.Enquiry(**form, consent=bool(raw.get("consent")),
                             honeypot=str(raw.get(enquiry.HONEYPOT, "")),
                             token=str(raw.get("form_token", "")))
    try:
        enquiry.screen(settings, tenant, posted)
    except AppError as exc:
        return _message(request, "Not sent", exc.detail, exc.status_code, tenant)
    body, errors = validate_form(schemas.LeadCreate, enquiry.lead_body(posted), LABELS)
    if not posted.consent:
        errors.add("consent", "tick the box so we may contact you about your enquiry")
    if body is None or errors:
        return _form(request, settings, tenant, {**form, "consent": posted.consent}, errors,
                     422)
    try:
        enquiry.submit(session, settings, tenant, body, _client(request))
    except AppError as exc:
        return _message(request, "Not sent", exc.detail, exc.status_code, tenant)
    return _message(request, "Thank you", "We have your enquiry and will be in touch soon.",
                    200, tenant)


def _quote_page(request: Request, token: str, opened: answers.Opened, terms: str,
                errors: FormErrors | None = None, form: dict[str, Any] | None = None,
                status: int = 200) -> HTMLResponse:
    return render(request, "sales/public_quote.html", {
        "tenant": opened.tenant, "quote": opened.quote, "lead": opened.lead,
        "lines": opened.lines, "opened": opened, "terms": terms, "token": token,
        "errors": errors, "form": form or {}}, status_code=status)


@router.get("/quote/{token}", response_class=HTMLResponse)
def quote_page(request: Request, token: str, session: DbSession,
               settings: AppSettings) -> HTMLResponse:
    try:
        opened = answers.open_quote(session, settings, token)
    except AppError as exc:
        return _message(request, "This link does not work", exc.detail, exc.status_code)
    terms = tenant_settings.sales_settings(session, opened.tenant.id).quote_terms
    return _quote_page(request, token, opened, terms)


@router.post("/quote/{token}/accept", response_class=HTMLResponse)
async def accept(request: Request, token: str, session: DbSession,
                 settings: AppSettings) -> Response:
    raw = await request.form()
    name, ticked = str(raw.get("name", ""))[:300], bool(raw.get("terms"))
    try:
        answers.accept(session, settings, token, name=name, terms=ticked,
                       client_address=_client(request))
    except AppError as exc:
        if exc.status_code != 422 or "fields" not in exc.extra:
            return _message(request, "Not accepted", exc.detail, exc.status_code)
        opened = answers.open_quote(session, settings, token)
        errors = FormErrors(ACCEPT_LABELS)
        for line in exc.extra["fields"]:
            field, text = line.split(": ", 1)
            errors.add(field, text)
        terms = tenant_settings.sales_settings(session, opened.tenant.id).quote_terms
        return _quote_page(request, token, opened, terms, errors, {"name": name}, 422)
    return RedirectResponse(f"/quote/{token}", status_code=303)


@router.post("/quote/{token}/decline", response_class=HTMLResponse)
async def decline(request: Request, token: str, session: DbSession,
                  settings: AppSettings) -> Response:
    raw = await request.form()
    try:
        answers.decline(session, settings, token, reason=str(raw.get("reason", ""))[:500],
                        client_address=_client(request))
    except AppError as exc:
        return _message(request, "Not declined", exc.detail, exc.status_code)
    return RedirectResponse(f"/quote/{token}", status_code=303)
