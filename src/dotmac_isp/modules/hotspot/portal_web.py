"""The captive portal, per tenant and site: /hotspot/{tenant slug}/{site id or default}/login.

Public pages (the device is not signed in to anything yet). The login form posts straight
to the NAS, so the page's Content-Security-Policy lets forms go to that one origin too."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from dotmac_isp.modules.billing import service as billing_service
from dotmac_isp.modules.billing.gateways import accounts as gateway_accounts
from dotmac_isp.modules.hotspot import portal, sites
from dotmac_isp.modules.hotspot.models import HotspotSite
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.identity.deps import DbSession
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.shared.errors import NotFound
from dotmac_isp.web.security import PAGE_CSP
from dotmac_isp.web.templating import render

router = APIRouter(prefix="/hotspot", include_in_schema=False)


def portal_tenant(session: DbSession, slug: str) -> Tenant:
    tenant = identity_service.tenant_by_slug(session, slug)
    if not tenant.is_active:
        raise NotFound("no such hotspot")
    return tenant


def portal_site(session: DbSession, tenant: Tenant, site_ref: str) -> HotspotSite:
    return sites.portal_site(session, tenant.id, site_ref)


@router.get("/{slug}/{site_ref}/login", response_class=HTMLResponse)
def login_page(request: Request, slug: str, site_ref: str, session: DbSession,
               link_login_only: str = Query("", alias="link-login-only", max_length=2000),
               link_orig: str = Query("", alias="link-orig", max_length=2000),
               dst: str = Query("", max_length=2000), mac: str = Query("", max_length=64),
               ip: str = Query("", max_length=64), error: str = Query("", max_length=300),
               username: str = Query("", max_length=64)) -> Response:
    """The sign-in page: branding, terms, the voucher code; posts to the NAS."""
    tenant = portal_tenant(session, slug)
    site = portal_site(session, tenant, site_ref)
    target = portal.login_target(site, link_login_only)
    base = f"/hotspot/{slug}/{site_ref}"
    response = render(request, "hotspot/portal_login.html", {
        "tenant": tenant, "site": site, "target": target, "dst": link_orig or dst,
        "mac": mac, "ip": ip, "nas_error": error, "username": username,
        "has_logo": billing_service.company_logo(session, tenant.id) is not None,
        "logo_url": f"/hotspot/{slug}/logo",
        "buy_url": f"{base}/buy" if gateway_accounts.pays_online(session, tenant.id) else ""},
        status_code=200 if target.url else 400)
    if target.url:
        response.headers["Content-Security-Policy"] = PAGE_CSP.replace(
            "form-action 'self'", f"form-action 'self' {target.origin}")
    return response


@router.get("/{slug}/logo")
def logo(slug: str, session: DbSession) -> Response:
    tenant = portal_tenant(session, slug)
    content = billing_service.company_logo(session, tenant.id)
    if content is None:
        raise NotFound("no logo")
    kind = "image/png" if content.startswith(b"\x89PNG") else "image/jpeg"
    return Response(content, media_type=kind, headers={"Cache-Control": "public, max-age=300"})
