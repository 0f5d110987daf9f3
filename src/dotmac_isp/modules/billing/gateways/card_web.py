"""The portal's saved card and autopay: save a card on the gateway's page, agree to (or stop)
automatic charges of due invoices, see the last charges with any decline reason."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dotmac_isp.modules.billing.gateways import autopay, payment_methods
from dotmac_isp.modules.billing.gateways.hosted_pages import leads_to_gateway
from dotmac_isp.modules.customers.portal_web import portal_tenant, signed_in_account
from dotmac_isp.modules.identity.deps import AppSettings, DbSession
from dotmac_isp.shared.errors import AppError
from dotmac_isp.shared.types import utcnow
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/portal/{slug}/pay/card", include_in_schema=False)


def _page(request: Request, slug: str, session: DbSession, settings: AppSettings,
          errors: list[str] | None = None, status_code: int = 200) -> HTMLResponse:
    tenant = portal_tenant(session, slug)
    account = signed_in_account(request, session, tenant)
    return leads_to_gateway(render(request, "gateways/card.html", {
        "tenant": tenant, "card": autopay.card_of(session, tenant.id, account.customer_id),
        "charges": autopay.charges_of(session, tenant.id, account.customer_id),
        "consent_text": payment_methods.portal_consent_text(tenant.name),
        "errors": errors or []}, status_code=status_code), settings)


@router.get("", response_class=HTMLResponse)
def card_page(request: Request, slug: str, session: DbSession,
              settings: AppSettings) -> HTMLResponse:
    return _page(request, slug, session, settings)


@router.post("")
async def save_card(request: Request, slug: str, session: DbSession,
                    settings: AppSettings) -> Response:
    await verify_csrf(request)
    tenant = portal_tenant(session, slug)
    account = signed_in_account(request, session, tenant)
    try:
        with session.begin_nested():
            url = autopay.start_card_setup(session, settings, tenant.id, account.customer_id)
    except AppError as exc:
        return _page(request, slug, session, settings, [exc.detail], 422)
    return RedirectResponse(url, status_code=303)


@router.get("/return")
def card_saved(request: Request, slug: str, session: DbSession,
               settings: AppSettings) -> Response:
    tenant = portal_tenant(session, slug)
    account = signed_in_account(request, session, tenant)
    card = autopay.finish_card_setup(session, settings, tenant.id, account.customer_id)
    if card is not None and card.payment_method_id:
        flash(request, f"Card ending in {card.card_last4} saved.")
    return RedirectResponse(f"/portal/{slug}/pay/card", status_code=303)


@router.post("/autopay")
async def change_autopay(request: Request, slug: str, session: DbSession,
                         settings: AppSettings) -> Response:
    form = await verify_csrf(request)
    tenant = portal_tenant(session, slug)
    account = signed_in_account(request, session, tenant)
    on = form.get("autopay") == "on"
    if on and form.get("consent") != "yes":
        return _page(request, slug, session, settings,
                     ["tick the box to agree to automatic charges"], 422)
    try:
        with session.begin_nested():
            autopay.set_autopay(session, tenant.id, account.customer_id, on,
                                by=f"customer (portal login {account.login})", at=utcnow(),
                                via="portal",
                                consent_text=payment_methods.portal_consent_text(tenant.name))
    except AppError as exc:
        return _page(request, slug, session, settings, [exc.detail], 422)
    flash(request, "Automatic payment is on." if on else "Automatic payment is off.")
    return RedirectResponse(f"/portal/{slug}/pay/card", status_code=303)
