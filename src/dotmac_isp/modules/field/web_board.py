"""The schedule board: a day by technician, hour by hour. Picking a free slot opens a form
(HTMX) to book a work order there; a clash is shown on the board as the refusal."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from dotmac_isp.modules.field import reminders, scheduling, service
from dotmac_isp.modules.field.access import whole_tenant
from dotmac_isp.modules.field.enums import BOOKED, WorkOrderStatus
from dotmac_isp.modules.field.models import WorkOrder
from dotmac_isp.modules.field.web_common import (
    helpers,
    parse_day,
    people,
    technicians,
    today,
    zone_of,
)
from dotmac_isp.modules.field.web_forms import schedule_from
from dotmac_isp.modules.identity.deps import AppSettings, DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.shared.errors import AppError
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.shared.types import utcnow
from dotmac_isp.web.forms import FormErrors, all_or_nothing
from dotmac_isp.web.templating import render, verify_csrf

router = APIRouter(prefix="/board")
P = Permission
HOURS = list(range(7, 20))  # the working day the board shows, 07:00 to 20:00
SHOWN = {s.value for s in BOOKED} | {WorkOrderStatus.DONE.value, WorkOrderStatus.FAILED.value}


def _rows(session: Session, user: User, day: date) -> dict[str, Any]:
    zone = zone_of(session, user.tenant_id)
    start, end = reminders.day_bounds(day, str(zone))
    jobs = [o for o in service.list_work_orders(
        session, whole_tenant(user.tenant_id), PageParams(limit=200), starts_from=start,
        starts_before=end).items if o.status in SHOWN]
    staff = technicians(session, user.tenant_id)
    busy_ids = {o.technician_id for o in jobs}
    # technicians (those who work orders without dispatching them), and anyone with a job
    shown = [u for u in staff if "field:dispatch" not in (u.role.permissions or [])
             or u.id in busy_ids]
    grid: dict[uuid.UUID, dict[int, dict[str, Any]]] = {}
    for tech in shown:
        cells: dict[int, dict[str, Any]] = {h: {"jobs": [], "busy": False} for h in HOURS}
        for job in (o for o in jobs if o.technician_id == tech.id):
            assert job.window_start is not None and job.window_end is not None
            first = job.window_start.astimezone(zone)
            last = job.window_end.astimezone(zone)
            if first.hour in cells:
                cells[first.hour]["jobs"].append(job)
            for hour in HOURS:
                cell_start = datetime.combine(day, time(hour), zone)
                if first < cell_start + timedelta(hours=1) and last > cell_start:
                    cells[hour]["busy"] = True
        grid[tech.id] = cells
    waiting = service.list_work_orders(session, whole_tenant(user.tenant_id),
                                       PageParams(limit=100),
                                       status=[WorkOrderStatus.NEW.value]).items
    return {"day": day, "hours": HOURS, "techs": shown, "grid": grid, "waiting": waiting,
            "prev_day": day - timedelta(days=1), "next_day": day + timedelta(days=1),
            **people(session, user.tenant_id, [*jobs, *waiting])}


def _board(request: Request, session: Session, user: User, day: date, *,
           message: str = "", errors: FormErrors | None = None,
           status_code: int = 200) -> HTMLResponse:
    context = {**helpers(session, user), **_rows(session, user, day), "message": message,
               "errors": errors or []}
    partial = bool(request.headers.get("hx-request"))
    return render(request, "field/_board.html" if partial else "field/board.html", context,
                  status_code=status_code)


@router.get("", response_class=HTMLResponse)
def board(request: Request, session: DbSession, day: str = "",
          user: User = page_permission(P.FIELD_DISPATCH)) -> HTMLResponse:
    chosen = (parse_day(day) if day else None) or today(session, user.tenant_id, utcnow())
    return _board(request, session, user, chosen)


@router.get("/slot", response_class=HTMLResponse)
def slot_form(request: Request, session: DbSession, day: str = "", technician_id: str = "",
              hour: int = 9, user: User = page_permission(P.FIELD_DISPATCH)) -> HTMLResponse:
    """The booking form for one technician's hour (an HTMX partial)."""
    chosen = (parse_day(day) if day else None) or today(session, user.tenant_id, utcnow())
    hour = min(max(hour, 0), 23)
    open_orders = service.list_work_orders(
        session, whole_tenant(user.tenant_id), PageParams(limit=200),
        status=[WorkOrderStatus.NEW.value, WorkOrderStatus.SCHEDULED.value]).items
    tech = next((u for u in technicians(session, user.tenant_id)
                 if str(u.id) == technician_id), None)
    return render(request, "field/_slot.html", {
        **helpers(session, user), "day": chosen, "hour": hour, "tech": tech,
        "orders": sorted(open_orders, key=lambda o: (o.status != "new", o.number)),
        **people(session, user.tenant_id, list(open_orders)),
        "start": f"{hour:02d}:00", "end": f"{min(hour + 2, 23):02d}:00"})


@router.post("/assign", response_class=HTMLResponse)
async def assign(request: Request, session: DbSession, settings: AppSettings,
                 user: User = page_permission(P.FIELD_DISPATCH)) -> Response:
    """Book the chosen work order into the slot; the board comes back with the outcome."""
    form = await verify_csrf(request)
    chosen = parse_day(str(form.get("day", ""))) or today(session, user.tenant_id, utcnow())
    data, errors = schedule_from(form, zone_of(session, user.tenant_id))
    try:
        order_id = uuid.UUID(str(form.get("work_order_id", "")))
    except ValueError:
        errors.add("work_order_id", "choose a work order")
        data = None
    if data is not None:
        valid = data
        try:
            booked: WorkOrder = all_or_nothing(session, lambda: scheduling.schedule(
                session, whole_tenant(user.tenant_id), order_id, valid, settings=settings))
        except AppError as exc:
            errors.refusal(exc)
        else:
            if not request.headers.get("hx-request"):
                return RedirectResponse(f"/admin/field/board?day={chosen}", status_code=303)
            return _board(request, session, user, chosen,
                          message=f"{booked.number} booked.")
    return _board(request, session, user, chosen, errors=errors, status_code=200
                  if request.headers.get("hx-request") else 422)
