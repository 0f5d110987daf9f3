"""/admin/jobs: each background job's schedule and last run, the jobs running now, the latest
runs, and this tenant's share of a job that failed. Runs are platform-wide: every admin sees
when and how they ended; their summaries, errors and logs (which may name other tenants) are
shown to the operator's staff only (settings.jobs.operator_tenant, or the only tenant)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.jobs import history, registry
from dotmac_isp.modules.identity.deps import DbSession, page_permission
from dotmac_isp.modules.identity.models import Tenant, User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.web.templating import render

router = APIRouter(prefix="/admin/jobs", include_in_schema=False)
RECENT = 50


def sees_run_details(session: Session, settings: Settings, user: User) -> bool:
    """Whether this user's tenant runs the platform (and so sees every run's details)."""
    operator = settings.jobs.operator_tenant
    if operator:
        return session.scalar(select(Tenant.slug).where(Tenant.id == user.tenant_id)) == operator
    return list(session.scalars(select(Tenant.id).limit(2))) == [user.tenant_id]


@router.get("", response_class=HTMLResponse)
def jobs_page(request: Request, session: DbSession,
              user: User = page_permission(Permission.TENANT_WRITE),
              job: str | None = Query(None, max_length=100)) -> HTMLResponse:
    last = history.last_runs(session)
    jobs = [(spec, last.get(spec.name)) for spec in registry.all_jobs()]
    return render(request, "jobs.html", {
        "current_user": user, "jobs": jobs, "job": job,
        "details": sees_run_details(session, request.app.state.settings, user),
        "running": history.held_leases(session),
        "runs": history.recent_runs(session, job, RECENT),
        "failures": history.tenant_failures(session, user.tenant_id)})
