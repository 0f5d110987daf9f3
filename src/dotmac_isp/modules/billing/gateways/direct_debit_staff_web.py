"""Staff page for a customer's direct debit: the mandate (bank name and last digits only),
who agreed, when and how; staff record the customer's agreement (by phone, on a signed
form...) and get the gateway's page to send the customer, where the mandate is set up."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing.gateways import autopay, direct_debit, mandates
from dotmac_isp.modules.billing.gateways import gocardless_accounts as gc_accounts
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.identity.deps import AppSettings, DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.shared.errors import AppError
from dotmac_isp.shared.types import utcnow
from dotmac_isp.web.forms import FormErrors
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/admin/customers/{customer_id}/direct-debit",
                   include_in_schema=False)
P = Permission
HOW = {"phone": "by phone", "paper": "on a signed paper form", "in_person": "in person",
       "email": "by email"}
LABELS = {"consent_method": "How the customer agreed", "consent": "Agreement",
          "consent_note": "Note"}


def _page(request: Request, session: DbSession, user: User, customer_id: uuid.UUID,
          form: dict[str, str] | None = None, errors: FormErrors | None = None,
          status_code: int = 200) -> HTMLResponse:
    customer = customers_service.get_customer(session, user.tenant_id, customer_id)
    mandate = mandates.mandate_of(session, user.tenant_id, customer.id)
    return render(request, "gateways/direct_debit_staff.html", {
        "current_user": user, "customer": customer, "mandate": mandate,
        "usable": mandates.usable(mandate), "bank": direct_debit.bank_words(mandate),
        "available": gc_accounts.collects_direct_debit(session, user.tenant_id),
        "charges": autopay.charges_of(session, user.tenant_id, customer.id),
        "how": HOW, "form": form or {}, "errors": errors or FormErrors(LABELS)},
        status_code=status_code)


@router.get("", response_class=HTMLResponse)
def direct_debit_page(request: Request, customer_id: uuid.UUID, session: DbSession,
                      user: User = page_permission(P.BILLING_READ)) -> HTMLResponse:
    return _page(request, session, user, customer_id)


def _links(settings: Settings, slug: str) -> tuple[str, str]:
    base = f"{settings.public_url.rstrip('/')}/portal/{slug}/pay/direct-debit"
    return f"{base}/done", f"{settings.public_url.rstrip('/')}/portal/{slug}"


@router.post("", response_class=HTMLResponse)
async def start_mandate(request: Request, customer_id: uuid.UUID, session: DbSession,
                        settings: AppSettings,
                        user: User = page_permission(P.BILLING_WRITE)) -> Response:
    form = {k: str(v) for k, v in (await verify_csrf(request)).items()}
    errors = FormErrors(LABELS)
    how = form.get("consent_method", "")
    if how not in HOW:
        errors.add("consent_method", "choose how the customer agreed")
    if form.get("consent") != "yes":
        errors.add("consent", "confirm the customer agreed to direct debit")
    note = form.get("consent_note", "").strip()[:150]
    if errors:
        return _page(request, session, user, customer_id, form, errors, 422)
    slug = identity_service.get_tenant(session, user.tenant_id).slug
    return_url, exit_url = _links(settings, slug)
    consent = mandates.Consent(by=f"staff {user.email}", at=utcnow(),
                               how=HOW[how] + (f": {note}" if note else ""))
    try:
        with session.begin_nested():  # a refused setup leaves no row behind
            mandates.start_setup(session, settings, user.tenant_id, customer_id, consent,
                                 return_url=return_url, exit_url=exit_url)
    except AppError as exc:
        if exc.status_code == 404:
            raise
        errors.refusal(exc)
        return _page(request, session, user, customer_id, form, errors,
                     exc.status_code if exc.status_code < 500 else 502)
    flash(request, "Agreement recorded. Send the customer the direct debit link below.")
    return RedirectResponse(f"/admin/customers/{customer_id}/direct-debit", status_code=303)


@router.post("/refresh")
async def refresh_mandate(request: Request, customer_id: uuid.UUID, session: DbSession,
                          settings: AppSettings,
                          user: User = page_permission(P.BILLING_WRITE)) -> Response:
    await verify_csrf(request)
    mandates.finish_setup(session, settings, user.tenant_id, customer_id)
    return RedirectResponse(f"/admin/customers/{customer_id}/direct-debit", status_code=303)
