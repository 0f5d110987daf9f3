"""Staff pages of the topology: the network graph, its JSON, and the device page's actions
(discover neighbours, mark as core)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from dotmac_isp.modules.identity.deps import AppSettings, CurrentAdmin, DbSession
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.network.topology import service, views
from dotmac_isp.shared.errors import AppError
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/admin", include_in_schema=False)


def _refused(request: Request, user: User, permission: str) -> HTMLResponse | None:
    if permission in user.role.permissions:
        return None
    return render(request, "error.html", {"current_user": user, "title": "Not allowed",
                                          "message": f"Your role lacks {permission}."},
                  status_code=403)


def _device_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        return uuid.UUID(int=0)  # no such device: the lookup answers not found


@router.get("/network/topology", response_class=HTMLResponse)
def topology_page(request: Request, user: CurrentAdmin) -> HTMLResponse:
    refused = _refused(request, user, Permission.NETWORK_READ)
    return refused or render(request, "topology/page.html", {"current_user": user})


@router.get("/network/topology.json")
def topology_json(request: Request, session: DbSession, user: CurrentAdmin) -> Response:
    if Permission.NETWORK_READ not in user.role.permissions:
        return JSONResponse({"error": "forbidden", "detail": "Your role lacks network:read."},
                            status_code=403)
    graph: dict[str, Any] = views.topology_graph(session, user.tenant_id)
    return JSONResponse(graph)


@router.post("/devices/{device_id}/neighbours/discover")
async def discover(request: Request, device_id: str, session: DbSession,
                   settings: AppSettings, user: CurrentAdmin) -> Response:
    await verify_csrf(request)
    refused = _refused(request, user, Permission.NETWORK_WRITE)
    if refused:
        return refused
    target = _device_id(device_id)
    try:  # the reading runs its own event loop, so not on this one
        outcome = await run_in_threadpool(service.discover_now, session, settings,
                                          user.tenant_id, target)
    except AppError as exc:
        return render(request, "error.html", {"current_user": user, "title": "Not found",
                                              "message": exc.detail},
                      status_code=exc.status_code)
    flash(request, "The device did not answer; its last known neighbours are kept."
          if outcome.failed else f"Neighbours read: {outcome.links_seen} link(s), "
                                 f"{outcome.links_new} new.")
    return RedirectResponse(f"/admin/devices/{target}#neighbours", status_code=303)


@router.post("/devices/{device_id}/core")
async def mark_core(request: Request, device_id: str, session: DbSession,
                    user: CurrentAdmin) -> Response:
    form = await verify_csrf(request)
    refused = _refused(request, user, Permission.NETWORK_WRITE)
    if refused:
        return refused
    target = _device_id(device_id)
    try:
        service.set_core(session, user.tenant_id, target, form.get("is_core") == "1")
    except AppError as exc:
        return render(request, "error.html", {"current_user": user, "title": "Not found",
                                              "message": exc.detail},
                      status_code=exc.status_code)
    return RedirectResponse(f"/admin/devices/{target}#neighbours", status_code=303)
