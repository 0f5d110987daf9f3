"""The customer's own pages in the portal: profile (contact details, emails wanted, password)
and usage against the data cap. Every change is audit-logged as the customer's."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from dotmac_isp.modules.customers import portal_overview, portal_profile, service
from dotmac_isp.modules.customers.models import Customer, PortalAccount
from dotmac_isp.modules.customers.portal_web import portal_tenant, signed_in_account
from dotmac_isp.modules.identity.audit import AuditActor, set_actor
from dotmac_isp.modules.identity.deps import AppSettings, DbSession
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.shared.enums import ActorType
from dotmac_isp.web.templating import render, verify_csrf

router = APIRouter(prefix="/portal/{slug}", include_in_schema=False)


def _signed_in(request: Request, session: Session,
               slug: str) -> tuple[Tenant, PortalAccount, Customer]:
    tenant = portal_tenant(session, slug)
    account = signed_in_account(request, session, tenant)
    customer = service.get_customer(session, tenant.id, account.customer_id)
    return tenant, account, customer


def _act_as(request: Request, session: Session, account: PortalAccount) -> None:
    """Changes in this request are the customer's in the audit log."""
    set_actor(session, AuditActor(ActorType.CUSTOMER, account.id, account.login,
                                  request_id=getattr(request.state, "request_id", None),
                                  ip_address=request.client.host if request.client else None))


def _profile(request: Request, tenant: Tenant, customer: Customer, *,
             values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
             password_errors: dict[str, str] | None = None,
             status_code: int = 200) -> HTMLResponse:
    return render(request, "portal/profile.html", {
        "tenant": tenant, "customer": customer,
        "values": values or portal_profile.contact_values(customer),
        "errors": errors or {}, "password_errors": password_errors or {},
        "notifications": portal_profile.NOTIFICATIONS}, status_code=status_code)


def _done(request: Request, slug: str, message: str) -> Response:
    request.session["flashes"] = [*request.session.get("flashes", []), message]
    return RedirectResponse(f"/portal/{slug}/profile", status_code=303)


@router.get("/profile", response_class=HTMLResponse)
def profile_page(request: Request, slug: str, session: DbSession) -> HTMLResponse:
    tenant, _account, customer = _signed_in(request, session, slug)
    return _profile(request, tenant, customer)


@router.post("/profile/contact", response_class=HTMLResponse)
async def contact_submit(request: Request, slug: str, session: DbSession) -> Response:
    form = await verify_csrf(request)
    tenant, account, customer = _signed_in(request, session, slug)
    values = {name: str(form.get(name, "")) for name in ("email", "phone",
                                                          *portal_profile.ADDRESS_FIELDS)}
    _act_as(request, session, account)
    try:
        portal_profile.update_contact(session, tenant.id, customer.id, values)
    except portal_profile.FieldErrors as exc:
        return _profile(request, tenant, customer, values=values, errors=exc.fields,
                        status_code=422)
    return _done(request, slug, "Your contact details are saved.")


@router.post("/profile/notifications", response_class=HTMLResponse)
async def notifications_submit(request: Request, slug: str, session: DbSession) -> Response:
    form = await verify_csrf(request)
    tenant, account, customer = _signed_in(request, session, slug)
    _act_as(request, session, account)
    portal_profile.set_notifications(session, tenant.id, customer.id,
                                     {name for name in portal_profile.NOTIFICATIONS
                                      if form.get(name)})
    return _done(request, slug, "Your email choices are saved.")


@router.post("/profile/password", response_class=HTMLResponse)
async def password_submit(request: Request, slug: str, session: DbSession,
                          settings: AppSettings) -> Response:
    form = await verify_csrf(request)
    tenant, account, customer = _signed_in(request, session, slug)
    _act_as(request, session, account)
    change = portal_profile.PasswordChange(current=str(form.get("current_password", "")),
                                           new=str(form.get("new_password", "")),
                                           confirm=str(form.get("confirm_password", "")))
    try:
        portal_profile.change_password(session, settings, account, change)
    except portal_profile.FieldErrors as exc:
        return _profile(request, tenant, customer, password_errors=exc.fields,
                        status_code=422)
    # this session goes on with the new password; any other one must sign in again
    request.session["portal_pwd"] = account.password_changed_at.isoformat()
    return _done(request, slug, "Your password is changed.")


def _chart_data(history: portal_overview.UsageHistory) -> dict[str, Any]:
    """What the usage chart script draws: per-period and per-day totals in GB, and the cap."""
    gigabyte = 1e9
    return {
        "periods": [p.label for p in history.periods],
        "period_gb": [round(p.used_octets / gigabyte, 3) for p in history.periods],
        "days": [day.isoformat() for day, _ in history.days],
        "day_gb": [round(octets / gigabyte, 3) for _, octets in history.days],
        "cap_gb": round(history.cap_octets / gigabyte, 3) if history.cap_octets else None,
    }


@router.get("/usage", response_class=HTMLResponse)
def usage_page(request: Request, slug: str, session: DbSession) -> HTMLResponse:
    tenant, _account, customer = _signed_in(request, session, slug)
    histories = portal_overview.usage_history(session, tenant.id, customer)
    return render(request, "portal/usage.html", {
        "tenant": tenant, "customer": customer, "histories": histories,
        "charts": {h.sub.id: json.dumps(_chart_data(h)) for h in histories}})
