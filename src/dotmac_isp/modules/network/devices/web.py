"""Staff pages for network devices: the list, a device with its traffic charts, config diffs,
and the alerts board."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from dotmac_isp.modules.identity.deps import AppSettings, CurrentAdmin, DbSession
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.network.alerts import service as alerts_service
from dotmac_isp.modules.network.devices import chart, service
from dotmac_isp.modules.network.devices.backups import service as backups
from dotmac_isp.modules.network.devices.enums import Reachability
from dotmac_isp.modules.network.devices.polling import series
from dotmac_isp.modules.network.devices.polling import service as polling
from dotmac_isp.modules.network.devices.settings import get_devices_settings
from dotmac_isp.modules.network.topology import service as topology
from dotmac_isp.modules.network.topology import views as topology_views
from dotmac_isp.shared.errors import AppError
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.shared.types import utcnow
from dotmac_isp.web.templating import render, verify_csrf

router = APIRouter(prefix="/admin", include_in_schema=False)
RANGES = {"1h": timedelta(hours=1), "6h": timedelta(hours=6), "24h": timedelta(hours=24),
          "7d": timedelta(days=7), "30d": timedelta(days=30)}
MAX_CHARTS = 8


def _refused(request: Request, user: User, permission: str) -> HTMLResponse | None:
    if permission in user.role.permissions:
        return None
    return render(request, "error.html", {"current_user": user, "title": "Not allowed",
                                          "message": f"Your role lacks {permission}."},
                  status_code=403)


def _parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@router.get("/devices", response_class=HTMLResponse)
def device_list(request: Request, session: DbSession, user: CurrentAdmin, q: str = "",
                reachability: str = "", page: int = 1) -> HTMLResponse:
    refused = _refused(request, user, Permission.NETWORK_READ)
    if refused:
        return refused
    state = reachability if reachability in {r.value for r in Reachability} else None
    page = max(1, min(page, 100_000))
    params = PageParams(limit=100, offset=(page - 1) * 100)
    q = "".join(ch for ch in q[:200] if ch.isprintable())
    devices = service.list_devices(session, user.tenant_id, params, query=q or None,
                                   reachability=state)
    counts = {r.value: service.list_devices(session, user.tenant_id, PageParams(limit=1),
                                            reachability=r.value).total for r in Reachability}
    return render(request, "devices/list.html", {
        "current_user": user, "devices": devices, "q": q, "reachability": state or "",
        "counts": counts, "page": page, "alert_counts":
            alerts_service.summary_counts(session, user.tenant_id)})


def _traffic_chart(session: Any, user: User, interface: Any, start: Any, end: Any) -> Any:
    chosen, points = series.interface_traffic(
        session, user.tenant_id, interface.id, start, end, now=utcnow(),
        raw_retention=timedelta(days=get_devices_settings().raw_retention_days))
    inbound = chart.downsample([(p.at, p.in_bps) for p in points])
    outbound = chart.downsample([(p.at, p.out_bps) for p in points])
    speed = f" · {interface.speed_mbps} Mb/s" if interface.speed_mbps else ""
    return chart.line_chart(
        [chart.Series("in", "#067647", inbound, fill=True),
         chart.Series("out", "#0b5cad", outbound)],
        title=f"{interface.label} traffic{speed} ({'hourly' if chosen == 'hourly' else 'raw'})",
        start=start, end=end, chart_id=f"traffic-{interface.if_index}")


@router.get("/devices/{device_id}", response_class=HTMLResponse)
def device_detail(request: Request, device_id: str, session: DbSession, user: CurrentAdmin,
                  range: str = "24h", interface: str = "") -> HTMLResponse:
    refused = _refused(request, user, Permission.NETWORK_READ)
    if refused:
        return refused
    try:
        device = service.get_device(session, user.tenant_id, _parse_uuid(device_id) or
                                    uuid.UUID(int=0))
    except AppError as exc:
        return render(request, "error.html", {"current_user": user, "title": "Not found",
                                              "message": exc.detail}, status_code=404)
    span = RANGES.get(range, RANGES["24h"])
    end = utcnow()
    start = end - span
    interfaces = service.device_interfaces(session, user.tenant_id, device.id)
    chosen_ids = {i for i in (_parse_uuid(v) for v in interface.split(",") if v) if i}
    charted = [i for i in interfaces if i.id in chosen_ids] or \
        [i for i in interfaces if i.monitored]
    charts = [_traffic_chart(session, user, i, start, end) for i in charted[:MAX_CHARTS]]
    _, history = series.device_history(
        session, user.tenant_id, device.id, start, end, now=end,
        raw_retention=timedelta(days=get_devices_settings().raw_retention_days))
    health = chart.line_chart(
        [chart.Series("CPU", "#b54708", [(p.at, p.cpu_pct) for p in history
                                         if p.cpu_pct is not None]),
         chart.Series("memory", "#6941c6", [(p.at, p.memory_pct) for p in history
                                            if p.memory_pct is not None])],
        title="CPU and memory", start=start, end=end, formatter=chart.format_pct,
        fixed_top=100, chart_id="health")
    alerts = alerts_service.list_alerts(session, user.tenant_id, PageParams(limit=20),
                                        device_id=device.id).items
    versions = backups.list_backups(session, user.tenant_id, device.id,
                                    PageParams(limit=20)).items
    return render(request, "devices/detail.html", {
        "current_user": user, "device": device, "interfaces": interfaces, "charts": charts,
        "health": health, "alerts": alerts, "versions": versions, "range": range,
        "ranges": list(RANGES), "format_bps": chart.format_bps,
        "neighbours": topology_views.neighbours(session, user.tenant_id, device.id),
        "topology_node": topology.node_state(session, user.tenant_id, device.id),
        "can_write": Permission.NETWORK_WRITE in user.role.permissions})


@router.post("/devices/{device_id}/poll")
async def device_poll(request: Request, device_id: str, session: DbSession,
                      settings: AppSettings, user: CurrentAdmin) -> Response:
    await verify_csrf(request)
    refused = _refused(request, user, Permission.NETWORK_WRITE)
    if refused:
        return refused
    target = _parse_uuid(device_id) or uuid.UUID(int=0)
    try:  # the poll runs its own event loop, so not on this one
        await run_in_threadpool(polling.poll_now, session, settings, user.tenant_id, target)
    except AppError as exc:
        return render(request, "error.html", {"current_user": user, "title": "Poll failed",
                                              "message": exc.detail},
                      status_code=exc.status_code)
    return RedirectResponse(f"/admin/devices/{target}", status_code=303)


@router.get("/devices/{device_id}/config/{backup_id}", response_class=HTMLResponse)
def config_version(request: Request, device_id: str, backup_id: str, session: DbSession,
                   user: CurrentAdmin) -> HTMLResponse:
    refused = _refused(request, user, Permission.NETWORK_READ)
    if refused:
        return refused
    try:
        device = service.get_device(session, user.tenant_id,
                                    _parse_uuid(device_id) or uuid.UUID(int=0))
        base, backup, diff = backups.diff(session, user.tenant_id,
                                          _parse_uuid(backup_id) or uuid.UUID(int=0))
        if backup.device_id != device.id:
            raise AppError("this version belongs to another device")
    except AppError as exc:
        return render(request, "error.html", {"current_user": user, "title": "Not found",
                                              "message": exc.detail}, status_code=404)
    return render(request, "devices/config.html", {
        "current_user": user, "device": device, "backup": backup, "base": base,
        "diff_lines": diff.splitlines()})


@router.get("/alerts", response_class=HTMLResponse)
def alerts_board(request: Request, session: DbSession, user: CurrentAdmin) -> HTMLResponse:
    refused = _refused(request, user, Permission.NETWORK_READ)
    if refused:
        return refused
    alerts = alerts_service.list_alerts(session, user.tenant_id, PageParams(limit=100),
                                        status="active").items
    incidents = alerts_service.list_incidents(session, user.tenant_id, PageParams(limit=50),
                                              status="open").items
    names = {d.id: d.name for d in service.list_devices(session, user.tenant_id,
                                                        PageParams(limit=200)).items}
    return render(request, "devices/alerts.html", {
        "current_user": user, "alerts": alerts, "incidents": incidents, "names": names})
