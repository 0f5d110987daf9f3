"""The customer portal: sign in, see your services, reset your password."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from dotmac_isp.modules.billing.gateways import accounts as gateway_accounts
from dotmac_isp.modules.customers import portal, portal_overview, service
from dotmac_isp.modules.customers.models import Customer, PortalAccount
from dotmac_isp.modules.customers.repository import PortalAccountRepository
from dotmac_isp.modules.identity import notify, web_sessions
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.identity.deps import AppSettings, DbSession
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.resellers import lookup as reseller_lookup
from dotmac_isp.shared.errors import AppError
from dotmac_isp.web.templating import LoginRequired, render, verify_csrf

router = APIRouter(prefix="/portal", include_in_schema=False)
KEYS = ("portal_aid", "portal_tid", "portal_pwd", "portal_sid")


def portal_tenant(session: DbSession, slug: str) -> Tenant:
    tenant = identity_service.tenant_by_slug(session, slug)
    if not tenant.is_active:
        raise AppError("this provider's portal is not available")
    return tenant


def signed_in_account(request: Request, session: DbSession, tenant: Tenant) -> PortalAccount:
    aid = request.session.get("portal_aid")
    account = None
    if aid and request.session.get("portal_tid") == str(tenant.id):
        account = PortalAccountRepository(session, tenant.id).find(_uuid(aid))
    if (account is None or not account.is_active
            or account.password_changed_at.isoformat() != request.session.get("portal_pwd")
            or not web_sessions.is_live(session, request.session.get("portal_sid"),
                                        web_sessions.PORTAL, account.id)):
        for key in KEYS:
            request.session.pop(key, None)
        raise LoginRequired(f"/portal/{tenant.slug}", login_path=f"/portal/{tenant.slug}/login")
    # a reseller's customer sees the reseller's brand on every portal page
    reseller_id = session.scalar(select(Customer.reseller_id).where(
        Customer.tenant_id == tenant.id, Customer.id == account.customer_id))
    request.state.brand = reseller_lookup.brand(session, tenant.id, reseller_id=reseller_id)
    return account


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        return uuid.UUID(int=0)


@router.get("", response_class=HTMLResponse)
def portal_root(request: Request, session: DbSession) -> Response:
    tenants = list(session.scalars(select(Tenant.slug).where(Tenant.is_active.is_(True))
                                   .limit(2)))
    if len(tenants) == 1:
        return RedirectResponse(f"/portal/{tenants[0]}", status_code=303)
    return render(request, "portal/choose.html")


@router.get("/{slug}", response_class=HTMLResponse)
def portal_home(request: Request, slug: str, session: DbSession) -> HTMLResponse:
    tenant = portal_tenant(session, slug)
    account = signed_in_account(request, session, tenant)
    customer = service.get_customer(session, tenant.id, account.customer_id)
    return render(request, "portal/home.html", {
        "tenant": tenant, "customer": customer,
        "overview": portal_overview.overview(session, tenant.id, customer),
        "pays_online": gateway_accounts.pays_online(session, tenant.id)})


@router.get("/{slug}/login", response_class=HTMLResponse)
def login_page(request: Request, slug: str, session: DbSession) -> HTMLResponse:
    return render(request, "portal/login.html", {"tenant": portal_tenant(session, slug)})


@router.post("/{slug}/login", response_class=HTMLResponse)
async def login_submit(request: Request, slug: str, session: DbSession,
                       settings: AppSettings) -> Response:
    form = await verify_csrf(request)
    tenant = portal_tenant(session, slug)
    login = str(form.get("login", "")).strip()
    result = portal.login(session, settings, tenant.id, login, str(form.get("password", "")))
    if result.error is not None or result.account is None:
        error = result.error or AppError("sign-in failed")
        return render(request, "portal/login.html", {"tenant": tenant, "error": error.detail,
                                                     "login": login},
                      status_code=error.status_code)
    request.session.pop("csrf", None)
    web_sessions.end(session, request.session.get("portal_sid"))
    request.session.update({
        "portal_aid": str(result.account.id), "portal_tid": str(tenant.id),
        "portal_pwd": result.account.password_changed_at.isoformat(),
        "portal_sid": web_sessions.start(session, tenant.id, web_sessions.PORTAL,
                                         result.account.id),
    })
    return RedirectResponse(f"/portal/{slug}", status_code=303)


@router.post("/{slug}/logout")
async def logout(request: Request, slug: str, session: DbSession) -> Response:
    await verify_csrf(request)
    web_sessions.end(session, request.session.get("portal_sid"))
    for key in KEYS:
        request.session.pop(key, None)
    return RedirectResponse(f"/portal/{slug}/login", status_code=303)


@router.get("/{slug}/forgot-password", response_class=HTMLResponse)
def forgot_page(request: Request, slug: str, session: DbSession) -> HTMLResponse:
    return render(request, "portal/forgot.html", {"tenant": portal_tenant(session, slug)})


@router.post("/{slug}/forgot-password", response_class=HTMLResponse)
async def forgot_submit(request: Request, slug: str, session: DbSession,
                        settings: AppSettings) -> HTMLResponse:
    form = await verify_csrf(request)
    tenant = portal_tenant(session, slug)
    issued = portal.issue_reset(session, settings, tenant.id, str(form.get("login", "")))
    if issued is not None:
        account, raw = issued
        notify.queue_password_reset_email(session, settings, account.login, raw,
                                          page=f"/portal/{slug}/reset-password")
    return render(request, "portal/forgot.html", {"tenant": tenant, "sent": True})


@router.get("/{slug}/reset-password", response_class=HTMLResponse)
def reset_page(request: Request, slug: str, session: DbSession, token: str = "") -> HTMLResponse:
    return render(request, "portal/reset.html", {"tenant": portal_tenant(session, slug),
                                                 "token": token})


@router.post("/{slug}/reset-password", response_class=HTMLResponse)
async def reset_submit(request: Request, slug: str, session: DbSession,
                       settings: AppSettings) -> HTMLResponse:
    form = await verify_csrf(request)
    tenant = portal_tenant(session, slug)
    token = str(form.get("token", ""))
    try:
        portal.reset_password(session, settings, tenant.id, token,
                              str(form.get("password", "")))
    except AppError as exc:
        return render(request, "portal/reset.html", {"tenant": tenant, "token": token,
                                                     "error": exc.detail},
                      status_code=exc.status_code)
    return render(request, "portal/login.html", {
        "tenant": tenant, "flashes": ["Your password has been changed. Sign in with it now."]})
