"""/admin/jobs: when each background job last ran, and this tenant's share of a job that
failed. Runs are platform-wide, so the page shows their time and outcome only; the failures
listed are the tenant's own."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from dotmac_isp.jobs import history, registry
from dotmac_isp.modules.identity.deps import DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.web.templating import render

router = APIRouter(prefix="/admin/jobs", include_in_schema=False)


@router.get("", response_class=HTMLResponse)
def jobs_page(request: Request, session: DbSession,
              user: User = page_permission(Permission.TENANT_WRITE)) -> HTMLResponse:
    last = history.last_runs(session)
    jobs = [(spec, last.get(spec.name)) for spec in registry.all_jobs()]
    return render(request, "jobs.html", {
        "current_user": user, "jobs": jobs,
        "failures": history.tenant_failures(session, user.tenant_id)})
