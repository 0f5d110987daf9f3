"""The tenant settings page: the ISP's name, currency and time zone; how it bills; how it
numbers documents; its default taxes. Each section is its own form, checked as a whole with
every problem named by its label; a refused section changes nothing. Both tables are audited,
so every saved change lands in the audit log with who made it."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import company, numbering, setup, tax_categories
from dotmac_isp.modules.billing.enums import BillingMode, NumberReset
from dotmac_isp.modules.billing.schemas import SettingsUpdate, TaxRateIn
from dotmac_isp.modules.identity import schemas as identity_schemas
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.identity.deps import AppSettings, DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.shared.errors import AppError
from dotmac_isp.shared.money import parse_amount
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.web.forms import FormReader, all_or_nothing
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/admin/settings", include_in_schema=False)
P = Permission
TEMPLATES = ("invoice_template", "credit_note_template", "payment_template",
             "receipt_template", "refund_template")
LABELS = {
    "name": "Company name", "currency": "Currency", "timezone": "Time zone",
    "mode": "Billing mode", "billing_day": "Billing day", "payment_terms_days":
        "Payment terms (days)", "min_invoice_amount": "Smallest invoice",
    "prices_include_tax": "Prices include tax", "number_reset": "Numbers restart",
    "invoice_template": "Invoice numbers", "credit_note_template": "Credit note numbers",
    "payment_template": "Payment numbers", "receipt_template": "Receipt numbers",
    "refund_template": "Refund numbers", "default_tax_rate_ids": "Default taxes",
    "rate": "Rate (%)", "compound": "Compound", "position": "Order",
    "company_address": "Address", "company_tax_id": "Tax id", "company_email": "Email",
    "company_phone": "Phone", "logo": "Logo",
    "company_legal_id": "Legal registration id", "company_street": "Street",
    "company_city": "City", "company_postcode": "Postcode",
    "company_country": "Country (two letters, e.g. NG)",
    "payment_confirm_above": "Confirm payments above",
}
MAX_DETAIL = {"company_address": 500, "company_tax_id": 64, "company_email": 254,
              "company_phone": 40, "company_legal_id": 64, "company_street": 200,
              "company_city": 100, "company_postcode": 20}
# Fields where an empty box means "none": sent as None rather than left out.
NULLABLE = ("billing_day", "payment_confirm_above")
SECTIONS = ("general", "billing", "numbering", "taxes")


def _page(request: Request, session: Session, user: User, *, section: str = "",
          errors: list[str] | None = None, form: dict[str, Any] | None = None,
          radius_defaults: list[tuple[str, str]] | None = None) -> HTMLResponse:
    tenant = identity_service.get_tenant(session, user.tenant_id)
    billing = setup.billing_settings(session, user.tenant_id)
    stored: dict[str, Any] = {"name": tenant.name, "currency": tenant.currency,
                              "timezone": tenant.timezone}
    stored |= {k: getattr(billing, k) for k in (
        *company.FIELDS, "logo_key", "mode", "billing_day", "payment_terms_days",
        "min_invoice_amount", "payment_confirm_above",
        "prices_include_tax", "number_reset", *TEMPLATES)}
    if stored["payment_confirm_above"] is not None:  # as typed: 250.00, not 250 or 2.5E+2
        stored["payment_confirm_above"] = f"{stored['payment_confirm_above']:.2f}"
    rates = setup.list_tax_rates(session, user.tenant_id, PageParams(limit=100)).items
    stored |= {"untaxed_category": billing.untaxed_category,
               "untaxed_exemption_reason": billing.untaxed_exemption_reason}
    for rate in rates:  # the e-invoice tax category of each rate
        stored[f"category_code_{rate.id}"] = rate.category_code
        stored[f"exemption_reason_{rate.id}"] = rate.exemption_reason
    return render(request, "billing/tenant_settings.html", {
        "current_user": user, "labels": LABELS, "section": section, "errors": errors or [],
        "values": stored | (form or {}), "modes": [m.value for m in BillingMode],
        "resets": [r.value for r in NumberReset],
        "rates": rates, "tax_codes": tax_categories.CODES,
        "default_rates": set(billing.default_tax_rate_ids),
        "radius_defaults": radius_defaults or []},
        status_code=422 if errors else 200)


@router.get("", response_class=HTMLResponse)
def settings_page(request: Request, session: DbSession, settings: AppSettings,
                  user: User = page_permission(P.TENANT_READ)) -> HTMLResponse:
    radius = settings.radius
    defaults = [("When suspended", radius.suspended_policy.replace("_", " ")),
                ("Walled-garden address list", radius.walled_garden_address_list),
                ("Walled-garden rate (kbit/s)", str(radius.walled_garden_rate_kbps)),
                ("Walled-garden session timeout (s)", str(radius.walled_garden_session_timeout)),
                ("Simultaneous sessions per login", str(radius.default_simultaneous_use or
                                                        "no limit"))]
    return _page(request, session, user, radius_defaults=defaults)


def _saved(request: Request, what: str) -> Response:
    flash(request, f"{what} saved.")
    return RedirectResponse("/admin/settings", status_code=303)


@router.post("/general", response_class=HTMLResponse)
async def save_general(request: Request, session: DbSession,
                       user: User = page_permission(P.TENANT_WRITE)) -> Response:
    form = await verify_csrf(request)
    reader = FormReader(form, LABELS)
    data = {"name": reader.text("name", required=True),
            "currency": reader.text("currency", required=True).upper(),
            "timezone": reader.text("timezone", required=True)}
    bad = {e.split(":")[0] for e in reader.errors}
    try:
        update = identity_schemas.TenantUpdate.model_validate(
            {k: v for k, v in data.items() if v})
    except ValidationError as exc:
        reader.add_validation(exc, skip={k for k, v in LABELS.items() if v in bad})
    if reader.errors:
        return _page(request, session, user, section="general", errors=reader.errors, form=data)
    identity_service.update_tenant(session, user.tenant_id, update)
    return _saved(request, "Company details")


@router.post("/billing", response_class=HTMLResponse)
async def save_billing(request: Request, session: DbSession,
                       user: User = page_permission(P.BILLING_WRITE)) -> Response:
    form = await verify_csrf(request)
    reader = FormReader(form, LABELS)
    data: dict[str, Any] = {"mode": reader.text("mode", required=True),
                            "billing_day": reader.whole("billing_day"),
                            "payment_terms_days": reader.whole("payment_terms_days",
                                                               required=True),
                            "min_invoice_amount": reader.amount("min_invoice_amount") or 0,
                            "prices_include_tax": reader.checked("prices_include_tax"),
                            "payment_confirm_above": _ceiling(session, user, reader)}
    return _save_settings(request, session, user, reader, data, "billing", "Billing settings")


def _ceiling(session: Session, user: User, reader: FormReader) -> Decimal | None:
    """The confirmation ceiling as typed (plain digits and a point); empty is no ceiling."""
    typed = reader.raw("payment_confirm_above")
    if not typed:
        return None
    currency = identity_service.get_tenant(session, user.tenant_id).currency
    try:
        return parse_amount(typed, currency=currency)
    except ValueError as exc:
        reader.fail("payment_confirm_above", str(exc))
        return None


@router.post("/numbering", response_class=HTMLResponse)
async def save_numbering(request: Request, session: DbSession,
                         user: User = page_permission(P.BILLING_WRITE)) -> Response:
    form = await verify_csrf(request)
    reader = FormReader(form, LABELS)
    data: dict[str, Any] = {"number_reset": reader.text("number_reset", required=True)}
    for key in TEMPLATES:
        data[key] = reader.text(key, required=True)
        if data[key]:
            try:  # each template on its own, so every bad one is named at once
                numbering.check_template(data[key])
            except ValueError as exc:
                reader.fail(key, str(exc))
    return _save_settings(request, session, user, reader, data, "numbering",
                          "Document numbering")


def _save_settings(request: Request, session: Session, user: User, reader: FormReader,
                   data: dict[str, Any], section: str, what: str) -> Response:
    bad = {e.split(":")[0] for e in reader.errors}
    try:
        checked = SettingsUpdate.model_validate(
            {k: v for k, v in data.items() if v is not None or k in NULLABLE})
    except ValidationError as exc:
        reader.add_validation(exc, skip={k for k, v in LABELS.items() if v in bad})
    if not reader.errors:
        changes = checked.model_dump(exclude_unset=True, mode="json")
        for key in ("min_invoice_amount", "payment_confirm_above"):
            if key in changes:  # the Decimal, not its JSON text
                changes[key] = getattr(checked, key)
        try:
            settings = setup.billing_settings(session, user.tenant_id)
            all_or_nothing(session, lambda: setup.update_settings(
                session, user.tenant_id, changes), settings)
        except AppError as exc:
            reader.errors.append(reader.relabel(exc.detail))
        else:
            return _saved(request, what)
    shown = {k: reader.raw(k) for k in data} | {"prices_include_tax":
                                                data.get("prices_include_tax")}
    return _page(request, session, user, section=section, errors=reader.errors, form=shown)


@router.post("/taxes", response_class=HTMLResponse)
async def save_default_taxes(request: Request, session: DbSession,
                             user: User = page_permission(P.BILLING_WRITE)) -> Response:
    await verify_csrf(request)
    form = await request.form()  # the multi-dict: rates are checkboxes of one name
    reader = FormReader(form, LABELS)
    ids: list[uuid.UUID] = []
    for raw in form.getlist("default_tax_rate_ids"):
        try:
            ids.append(uuid.UUID(str(raw)))
        except ValueError:
            reader.fail("default_tax_rate_ids", f"{raw!r} is not a tax rate")
    data: dict[str, Any] = {"default_tax_rate_ids": ids}
    return _save_settings(request, session, user, reader, data, "taxes", "Default taxes")


@router.post("/taxes/new", response_class=HTMLResponse)
async def add_tax_rate(request: Request, session: DbSession,
                       user: User = page_permission(P.BILLING_WRITE)) -> Response:
    form = await verify_csrf(request)
    reader = FormReader(form, LABELS | {"name": "Tax name"})
    data = {"name": reader.text("name", required=True),
            "rate": reader.amount("rate", required=True),
            "compound": reader.checked("compound"), "position": reader.whole("position") or 0}
    bad = {e.split(":")[0] for e in reader.errors}
    try:
        rate_in = TaxRateIn.model_validate({k: v for k, v in data.items() if v is not None})
    except ValidationError as exc:
        reader.add_validation(exc, skip={k for k, v in reader.labels.items() if v in bad})
    if not reader.errors:
        try:
            setup.create_tax_rate(session, user.tenant_id, rate_in.name, rate_in.rate,
                                  rate_in.compound, rate_in.position)
        except AppError as exc:
            reader.fail("name", exc.detail)
        else:
            return _saved(request, f"Tax rate {rate_in.name}")
    return _page(request, session, user, section="new_tax", errors=reader.errors,
                 form={"tax_" + k: reader.raw(k) for k in ("name", "rate", "position")})


@router.post("/company", response_class=HTMLResponse)
async def save_company(request: Request, session: DbSession,
                       user: User = page_permission(P.TENANT_WRITE)) -> Response:
    await verify_csrf(request)
    form = await request.form()
    reader = FormReader(form, LABELS)
    details = {k: reader.raw(k) for k in company.FIELDS}
    for key, limit in MAX_DETAIL.items():
        if len(details[key]) > limit:
            reader.fail(key, f"at most {limit} characters")
    details["company_country"] = details["company_country"].strip().upper()
    if details["company_country"] and not re.fullmatch("[A-Z]{2}", details["company_country"]):
        reader.fail("company_country", "two letters (ISO 3166), such as NG or DE")
    email = details["company_email"]
    if email and ("@" not in email or " " in email):
        reader.fail("company_email", f"{email!r} is not an email address")
    upload = form.get("logo")
    logo: bytes | None = None
    if upload is not None and not isinstance(upload, str) and upload.filename:
        # read one byte past the limit so an oversized file is refused without reading it all
        logo = await upload.read(company.MAX_LOGO_BYTES + 1)
        try:
            company.check_logo(logo)
        except AppError as exc:
            reader.errors.append(exc.detail)
    if not reader.errors:
        company.update_company(session, user.tenant_id, details, logo=logo,
                               remove_logo=reader.checked("remove_logo"),
                               store=company.logo_store())
        return _saved(request, "Company details")
    return _page(request, session, user, section="company", errors=reader.errors, form=details)
