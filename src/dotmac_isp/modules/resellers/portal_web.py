"""A reseller's own door to the customer portal: /portal/{tenant}/r/{reseller}/login shows
the reseller's brand; once signed in, every portal page of its customers does too."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dotmac_isp.modules.customers import portal_web
from dotmac_isp.modules.identity.deps import AppSettings, DbSession
from dotmac_isp.modules.resellers import lookup
from dotmac_isp.shared.errors import NotFound
from dotmac_isp.web.templating import render

router = APIRouter(prefix="/portal/{slug}/r/{reseller_slug}", include_in_schema=False)


def _brand(request: Request, session: DbSession, slug: str, reseller_slug: str) -> None:
    tenant = portal_web.portal_tenant(session, slug)
    brand = lookup.brand(session, tenant.id, slug=reseller_slug)
    if brand is None:
        raise NotFound("no such reseller portal")
    request.state.brand = brand


@router.get("", response_class=HTMLResponse)
def reseller_portal(slug: str, reseller_slug: str) -> Response:
    return RedirectResponse(f"/portal/{slug}/r/{reseller_slug}/login", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, slug: str, reseller_slug: str,
               session: DbSession) -> HTMLResponse:
    _brand(request, session, slug, reseller_slug)
    return render(request, "portal/login.html",
                  {"tenant": portal_web.portal_tenant(session, slug)})


@router.post("/login", response_class=HTMLResponse)
async def login_submit(request: Request, slug: str, reseller_slug: str, session: DbSession,
                       settings: AppSettings) -> Response:
    """The portal's own sign-in; a refusal is shown on the reseller's page."""
    _brand(request, session, slug, reseller_slug)
    return await portal_web.login_submit(request, slug, session, settings)
