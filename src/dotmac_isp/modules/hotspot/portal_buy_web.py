"""Buying a voucher on the captive portal: pick a plan, give an email, pay on the tenant's
card gateway's hosted page, come back to the code (also emailed) and a link that signs in
with it. Offered only when the tenant has an enabled gateway account."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dotmac_isp.modules.billing.gateways import accounts as gateway_accounts
from dotmac_isp.modules.billing.gateways.hosted_pages import leads_to_gateway
from dotmac_isp.modules.hotspot import purchases, service
from dotmac_isp.modules.hotspot.portal_web import portal_site, portal_tenant
from dotmac_isp.modules.identity.deps import AppSettings, DbSession
from dotmac_isp.shared.errors import AppError
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.web.forms import FormErrors
from dotmac_isp.web.templating import render, verify_csrf

router = APIRouter(prefix="/hotspot", include_in_schema=False)
LABELS = {"plan_id": "Voucher", "email": "Email"}


def _buy_page(request: Request, session: DbSession, settings: AppSettings, slug: str,
              site_ref: str, *, errors: FormErrors | None = None,
              chosen: str = "", email: str = "", status_code: int = 200) -> HTMLResponse:
    tenant = portal_tenant(session, slug)
    site = portal_site(session, tenant, site_ref)
    plans = service.list_plans(session, tenant.id, PageParams(limit=100), active=True).items
    return leads_to_gateway(render(request, "hotspot/portal_buy.html", {
        "tenant": tenant, "site": site, "plans": plans,
        "pays_online": gateway_accounts.pays_online(session, tenant.id),
        "not_available": purchases.NOT_AVAILABLE, "errors": errors or FormErrors(LABELS),
        "chosen": chosen, "email": email, "action": f"/hotspot/{slug}/{site_ref}/buy",
        "back_url": f"/hotspot/{slug}/{site_ref}/login"}, status_code=status_code), settings)


@router.get("/{slug}/{site_ref}/buy", response_class=HTMLResponse)
def buy_page(request: Request, slug: str, site_ref: str, session: DbSession,
             settings: AppSettings) -> HTMLResponse:
    """The voucher plans on sale, with their prices, and the form that buys one."""
    return _buy_page(request, session, settings, slug, site_ref)


@router.post("/{slug}/{site_ref}/buy")
async def buy(request: Request, slug: str, site_ref: str, session: DbSession,
              settings: AppSettings) -> Response:
    """Start paying for the chosen voucher: on to the gateway's hosted page."""
    form = await verify_csrf(request)
    tenant = portal_tenant(session, slug)
    site = portal_site(session, tenant, site_ref)
    chosen, email = str(form.get("plan_id") or ""), str(form.get("email") or "").strip()
    errors = FormErrors(LABELS)
    try:
        plan_id = uuid.UUID(chosen)
    except ValueError:
        errors.add("plan_id", "choose a voucher")
    if not email:
        errors.add("email", "enter the email address the voucher is sent to")
    if not errors:
        try:
            with session.begin_nested():  # a refused checkout leaves no purchase behind
                url = purchases.start_purchase(session, settings, tenant.id, site, site_ref,
                                               plan_id, email)
            return RedirectResponse(url, status_code=303)
        except AppError as exc:
            if exc.status_code == 404:  # a plan id that is not on sale here
                errors.add("plan_id", "choose a voucher on sale here")
            else:
                errors.refusal(exc)
                status = exc.status_code if exc.status_code < 500 else 502
                return _buy_page(request, session, settings, slug, site_ref, errors=errors,
                                 chosen=chosen, email=email, status_code=status)
    return _buy_page(request, session, settings, slug, site_ref, errors=errors,
                     chosen=chosen, email=email, status_code=422)


@router.get("/{slug}/{site_ref}/buy/return/{purchase_id}", response_class=HTMLResponse)
def bought(request: Request, slug: str, site_ref: str, purchase_id: uuid.UUID,
           session: DbSession, settings: AppSettings) -> HTMLResponse:
    """Back from the hosted page: the voucher code once the payment is in."""
    tenant = portal_tenant(session, slug)
    site = portal_site(session, tenant, site_ref)
    problem = ""
    try:
        with session.begin_nested():
            purchase, voucher = purchases.returned(session, settings, tenant.id, purchase_id)
    except AppError as exc:
        if exc.status_code == 404:
            raise
        problem = "We could not reach the payment service to confirm your payment yet."
        purchase, voucher = purchases.returned_as_is(session, tenant.id, purchase_id)
    login_url = f"/hotspot/{slug}/{site_ref}/login"
    return render(request, "hotspot/portal_bought.html", {
        "tenant": tenant, "site": site, "purchase": purchase, "voucher": voucher,
        "problem": problem, "login_url": login_url,
        "plan": service.get_plan(session, tenant.id, purchase.plan_id)})
