"""Staff pages: the dashboard at /admin and the reports under /admin/reports."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.identity.deps import CurrentAdmin, DbSession
from dotmac_isp.modules.network.radius import health as radius_health
from dotmac_isp.modules.reports import dashboard
from dotmac_isp.modules.reports.periods import Clock, add_months
from dotmac_isp.modules.reports.tables import REPORTS, Table, run_report
from dotmac_isp.shared.errors import NotFound
from dotmac_isp.shared.types import utcnow
from dotmac_isp.web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)


@router.get("", response_class=HTMLResponse)
def dashboard_page(request: Request, session: DbSession, user: CurrentAdmin) -> HTMLResponse:
    """The landing page: figures and charts for what the user's role may read."""
    tenant = identity_service.get_tenant(session, user.tenant_id)
    permissions = request.state.principal.permissions  # a reseller's staff: capped
    dash = dashboard.build_dashboard(session, tenant, permissions)
    return render(request, "reports/dashboard.html", {
        "current_user": user, "tenant": tenant, "role": user.role, "dash": dash,
        "can": permissions, "nas_definition": radius_health.DEFINITION,
    })


def _range(start: str, end: str, clock: Clock) -> tuple[date, date, list[str]]:
    """The chosen dates, or the last twelve months; messages for whatever cannot be read."""
    errors: list[str] = []
    default_start, default_end = add_months(clock.month_start, -11), clock.today
    chosen = []
    for label, raw, fallback in (("Start date", start, default_start),
                                 ("End date", end, default_end)):
        try:
            chosen.append(date.fromisoformat(raw) if raw else fallback)
        except ValueError:
            errors.append(f"{label}: use the form YYYY-MM-DD.")
            chosen.append(fallback)
    first, last = chosen
    if first > last:
        errors.append("Start date: must not be after the end date.")
    elif (last - first).days > 3 * 366:
        errors.append("End date: a report covers at most three years.")
    return first, last, errors


def _report(request: Request, session: DbSession, user: CurrentAdmin, slug: str, start: str,
            end: str) -> tuple[Table | None, dict[str, object]]:
    report = REPORTS.get(slug)
    if report is None:
        raise NotFound("no such report")
    request.state.principal.require(report.permission)
    tenant = identity_service.get_tenant(session, user.tenant_id)
    clock = Clock.of(utcnow(), tenant.timezone)
    first, last, errors = _range(start, end, clock)
    table = None if errors else run_report(session, tenant, slug, first, last, clock)
    visible = [r for r in REPORTS.values() if r.permission in user.role.permissions]
    return table, {"current_user": user, "tenant": tenant, "report": report, "reports": visible,
                   "start": first.isoformat(), "end": last.isoformat(), "errors": errors}


@router.get("/reports", response_class=HTMLResponse)
def reports_index(user: CurrentAdmin) -> Response:
    first = next((r for r in REPORTS.values() if r.permission in user.role.permissions), None)
    if first is None:
        raise NotFound("no report is open to your role")
    return RedirectResponse(f"/admin/reports/{first.slug}", status_code=303)


@router.get("/reports/{slug}.csv")
def report_csv(request: Request, session: DbSession, user: CurrentAdmin, slug: str,
               start: str = "", end: str = "") -> Response:
    table, context = _report(request, session, user, slug, start, end)
    if table is None:
        return render(request, "reports/report.html", context, status_code=422)
    name = f"{slug}-{context['start']}-{context['end']}.csv"
    return Response(table.csv(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/reports/{slug}", response_class=HTMLResponse)
def report_page(request: Request, session: DbSession, user: CurrentAdmin, slug: str,
                start: str = "", end: str = "") -> HTMLResponse:
    table, context = _report(request, session, user, slug, start, end)
    return render(request, "reports/report.html", {**context, "table": table},
                  status_code=422 if table is None else 200)
