"""Staff pages: the dashboard at /admin and the reports under /admin/reports."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.identity.deps import CurrentAdmin, DbSession
from dotmac_isp.modules.reports import dashboard
from dotmac_isp.web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)


@router.get("", response_class=HTMLResponse)
def dashboard_page(request: Request, session: DbSession, user: CurrentAdmin) -> HTMLResponse:
    """The landing page: figures and charts for what the user's role may read."""
    tenant = identity_service.get_tenant(session, user.tenant_id)
    permissions = frozenset(user.role.permissions)
    dash = dashboard.build_dashboard(session, tenant, permissions)
    return render(request, "reports/dashboard.html", {
        "current_user": user, "tenant": tenant, "role": user.role, "dash": dash,
        "can": permissions,
    })
