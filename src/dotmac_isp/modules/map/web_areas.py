"""Staff pages for coverage areas: the list, and a form where the area is pasted as GeoJSON,
uploaded as a file, or drawn on the map (click to add corners). A refused area is shown again
with its errors beside the fields and nothing is stored."""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from dotmac_isp.modules.identity.deps import DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.map import areas, geometry, schemas, tenant_settings
from dotmac_isp.modules.map.csp import csp_with_tiles
from dotmac_isp.modules.map.models import CoverageArea
from dotmac_isp.modules.network.devices import service as devices_service
from dotmac_isp.modules.services import catalogue
from dotmac_isp.shared.errors import AppError
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.web.forms import FormErrors, all_or_nothing, validate_form
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/areas")
P = Permission
LABELS = {"site_id": "Site", "name": "Name", "description": "Description",
          "geometry": "Area (GeoJSON)", "plan_ids": "Plans sold here"}


def _page(request: Request, session: DbSession, user: User, area: CoverageArea | None,
          form: dict[str, Any], errors: FormErrors | None = None) -> HTMLResponse:
    sites = devices_service.list_sites(session, user.tenant_id, PageParams(limit=500)).items
    plans = [p for p in catalogue.plans_by_id(session, user.tenant_id).values()
             if not p.is_archived or str(p.id) in form.get("plan_ids", [])]
    conf = tenant_settings.map_settings(session, user.tenant_id)
    response = render(request, "map/area_form.html", {
        "current_user": user, "area": area, "form": form, "errors": errors or [],
        "labels": LABELS, "sites": sites, "plans": sorted(plans, key=lambda p: p.name),
        "site_points": [[float(s.latitude), float(s.longitude)] for s in sites
                        if s.latitude is not None and s.longitude is not None],
        "tile_url": conf.tile_url, "tile_attribution": conf.tile_attribution},
        status_code=422 if errors else 200)
    response.headers["Content-Security-Policy"] = csp_with_tiles(conf.tile_url)
    return response


@router.get("", response_class=HTMLResponse)
def area_list(request: Request, session: DbSession,
              user: User = page_permission(P.MAP_READ)) -> HTMLResponse:
    found = areas.all_areas(session, user.tenant_id)
    plans = areas.plan_ids_of(session, user.tenant_id, [a.id for a in found])
    sites = {s.id: s.name for s in devices_service.list_sites(
        session, user.tenant_id, PageParams(limit=500)).items}
    names = {p.id: p.name for p in catalogue.plans_by_id(session, user.tenant_id).values()}
    return render(request, "map/areas.html", {
        "current_user": user, "areas": found, "sites": sites,
        "plans": {a.id: [names[p] for p in plans[a.id] if p in names] for a in found}})


@router.get("/new", response_class=HTMLResponse)
def new_area(request: Request, session: DbSession,
             user: User = page_permission(P.MAP_WRITE)) -> HTMLResponse:
    site = request.query_params.get("site_id", "")
    return _page(request, session, user, None, {"site_id": site, "plan_ids": []})


async def _read(request: Request) -> tuple[dict[str, Any], FormErrors]:
    """The submitted area: its fields as typed, the GeoJSON from the file when one was sent
    (else from the text box), and the errors of reading it."""
    form = await verify_csrf(request)
    data = await request.form()
    errors = FormErrors(LABELS)
    text = str(form.get("geometry", ""))
    upload = form.get("geometry_file")
    if isinstance(upload, UploadFile) and upload.filename:
        raw = await upload.read(geometry.MAX_TEXT + 1)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            errors.add("geometry", f"the file {upload.filename} is not UTF-8 text")
    shown = {"site_id": str(form.get("site_id", "")), "name": str(form.get("name", "")).strip(),
             "description": str(form.get("description", "")), "geometry": text,
             "plan_ids": [str(p) for p in data.getlist("plan_ids")]}
    return shown, errors


def _geometry(text: str, errors: FormErrors) -> Any:
    try:
        return geometry.parse_text(text)
    except AppError as exc:
        errors.refusal(exc, "geometry")
        return None


@router.post("/new", response_class=HTMLResponse)
async def create_area(request: Request, session: DbSession,
                      user: User = page_permission(P.MAP_WRITE)) -> Response:
    shown, errors = await _read(request)
    parsed = _geometry(shown["geometry"], errors) if not errors else None
    valid, more = validate_form(schemas.AreaCreate, {
        "site_id": shown["site_id"] or None, "name": shown["name"],
        "description": shown["description"], "geometry": parsed,
        "plan_ids": shown["plan_ids"]}, LABELS)
    errors.merge(more, skip=errors.by_field)
    if valid is not None and not errors:
        try:
            area = all_or_nothing(session, lambda: areas.create_area(
                session, user.tenant_id, valid))
        except AppError as exc:
            errors.refusal(exc)
        else:
            flash(request, f"Coverage area {area.name} added ({area.vertices} points).")
            return RedirectResponse("/admin/map/areas", status_code=303)
    return _page(request, session, user, None, shown, errors)


@router.get("/{area_id}/edit", response_class=HTMLResponse)
def edit_area(request: Request, area_id: uuid.UUID, session: DbSession,
              user: User = page_permission(P.MAP_WRITE)) -> HTMLResponse:
    area = areas.get_area(session, user.tenant_id, area_id)
    plans = areas.plan_ids_of(session, user.tenant_id, [area.id])[area.id]
    return _page(request, session, user, area, {
        "site_id": str(area.site_id), "name": area.name, "description": area.description,
        "geometry": json.dumps(area.geometry), "plan_ids": [str(p) for p in plans]})


@router.post("/{area_id}/edit", response_class=HTMLResponse)
async def save_area(request: Request, area_id: uuid.UUID, session: DbSession,
                    user: User = page_permission(P.MAP_WRITE)) -> Response:
    area = areas.get_area(session, user.tenant_id, area_id)
    shown, errors = await _read(request)
    parsed = _geometry(shown["geometry"], errors) if not errors else None
    valid, more = validate_form(schemas.AreaUpdate, {
        "site_id": shown["site_id"] or None, "name": shown["name"],
        "description": shown["description"], "geometry": parsed,
        "plan_ids": shown["plan_ids"]}, LABELS)
    errors.merge(more, skip=errors.by_field)
    if valid is not None and not errors:
        try:
            all_or_nothing(session, lambda: areas.update_area(
                session, user.tenant_id, area.id, valid), area)
        except AppError as exc:
            errors.refusal(exc)
        else:
            flash(request, f"Coverage area {area.name} saved.")
            return RedirectResponse("/admin/map/areas", status_code=303)
    return _page(request, session, user, area, shown, errors)


@router.post("/{area_id}/delete")
async def remove_area(request: Request, area_id: uuid.UUID, session: DbSession,
                      user: User = page_permission(P.MAP_WRITE)) -> Response:
    await verify_csrf(request)
    area = areas.get_area(session, user.tenant_id, area_id)
    areas.delete_area(session, user.tenant_id, area.id)
    flash(request, f"Coverage area {area.name} removed.")
    return RedirectResponse("/admin/map/areas", status_code=303)
