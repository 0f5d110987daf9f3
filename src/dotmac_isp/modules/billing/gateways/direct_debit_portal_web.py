"""The portal's direct debit: agree to direct debit and set up a mandate on the gateway's
page, see the bank account it debits (bank name and last digits only), stop or restart
automatic collection, see the last collections with any failure reason."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing.gateways import autopay, direct_debit, mandates
from dotmac_isp.modules.billing.gateways.hosted_pages import leads_to_gateway
from dotmac_isp.modules.customers.portal_web import portal_tenant, signed_in_account
from dotmac_isp.modules.identity.deps import AppSettings, DbSession
from dotmac_isp.shared.errors import AppError
from dotmac_isp.shared.types import utcnow
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/portal/{slug}/pay/direct-debit", include_in_schema=False)
CONSENT = "portal: ticked the direct debit agreement"
NEEDS_CONSENT = "tick the box to agree to direct debit"


def _page(request: Request, slug: str, session: DbSession, settings: Settings,
          errors: list[str] | None = None, status_code: int = 200) -> HTMLResponse:
    tenant = portal_tenant(session, slug)
    account = signed_in_account(request, session, tenant)
    mandate = mandates.mandate_of(session, tenant.id, account.customer_id)
    return leads_to_gateway(render(request, "gateways/direct_debit.html", {
        "tenant": tenant, "mandate": mandate, "usable": mandates.usable(mandate),
        "bank": direct_debit.bank_words(mandate),
        "charges": autopay.charges_of(session, tenant.id, account.customer_id),
        "errors": errors or []}, status_code=status_code), settings, "gocardless")


@router.get("", response_class=HTMLResponse)
def direct_debit_page(request: Request, slug: str, session: DbSession,
                      settings: AppSettings) -> HTMLResponse:
    return _page(request, slug, session, settings)


@router.post("")
async def set_up_direct_debit(request: Request, slug: str, session: DbSession,
                              settings: AppSettings) -> Response:
    form = await verify_csrf(request)
    tenant = portal_tenant(session, slug)
    account = signed_in_account(request, session, tenant)
    if form.get("consent") != "yes":
        return _page(request, slug, session, settings, [NEEDS_CONSENT], 422)
    base = f"{settings.public_url.rstrip('/')}/portal/{tenant.slug}/pay/direct-debit"
    try:
        with session.begin_nested():  # a refused setup leaves no row behind
            mandate = mandates.start_setup(
                session, settings, tenant.id, account.customer_id, mandates.Consent(
                    by=f"customer (portal login {account.login})", at=utcnow(), how=CONSENT),
                return_url=f"{base}/return", exit_url=base)
    except AppError as exc:
        if exc.status_code == 404:
            raise
        return _page(request, slug, session, settings, [exc.detail],
                     exc.status_code if exc.status_code < 500 else 502)
    return RedirectResponse(mandate.setup_url, status_code=303)


@router.get("/return")
def direct_debit_set_up(request: Request, slug: str, session: DbSession,
                        settings: AppSettings) -> Response:
    tenant = portal_tenant(session, slug)
    account = signed_in_account(request, session, tenant)
    mandate = mandates.finish_setup(session, settings, tenant.id, account.customer_id)
    if mandates.usable(mandate):
        flash(request, f"Direct debit set up from your account {direct_debit.bank_words(mandate)}.")
    return RedirectResponse(f"/portal/{slug}/pay/direct-debit", status_code=303)


@router.get("/done", response_class=HTMLResponse)
def direct_debit_done(request: Request, slug: str, session: DbSession) -> HTMLResponse:
    """Where a customer lands who set up a mandate from a link staff sent (maybe not signed
    in): the mandate itself arrives by webhook."""
    tenant = portal_tenant(session, slug)
    return render(request, "gateways/direct_debit_done.html", {"tenant": tenant})


@router.post("/autopay")
async def change_autopay(request: Request, slug: str, session: DbSession,
                         settings: AppSettings) -> Response:
    form = await verify_csrf(request)
    tenant = portal_tenant(session, slug)
    account = signed_in_account(request, session, tenant)
    on = form.get("autopay") == "on"
    if on and form.get("consent") != "yes":
        return _page(request, slug, session, settings, [NEEDS_CONSENT], 422)
    try:
        with session.begin_nested():
            mandates.set_autopay(session, tenant.id, account.customer_id, on, mandates.Consent(
                by=f"customer (portal login {account.login})", at=utcnow(), how=CONSENT))
    except AppError as exc:
        return _page(request, slug, session, settings, [exc.detail], 422)
    flash(request, "Invoices are collected by direct debit." if on
          else "Invoices are no longer collected by direct debit.")
    return RedirectResponse(f"/portal/{slug}/pay/direct-debit", status_code=303)
