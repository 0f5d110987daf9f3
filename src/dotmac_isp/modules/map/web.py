"""Staff pages of the map: the map itself (Leaflet, layers fetched per view), its GeoJSON
layers and coverage check for the page, and the coverage areas (pasted, uploaded or drawn)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from dotmac_isp.modules.identity.deps import AppSettings, DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.map import areas, layers, tenant_settings
from dotmac_isp.modules.map.csp import csp_with_tiles
from dotmac_isp.modules.map.web_areas import router as areas_router
from dotmac_isp.shared.errors import AppError
from dotmac_isp.shared.geo import parse_bbox
from dotmac_isp.web.templating import render

router = APIRouter(prefix="/admin/map", include_in_schema=False)
router.include_router(areas_router)
P = Permission
LAYER_LABELS = (("sites", "Sites"), ("devices", "Devices"), ("customers", "Customers"),
                ("incidents", "Open incidents"), ("coverage", "Coverage areas"))


def _error(exc: AppError) -> JSONResponse:
    return JSONResponse({"error": exc.code, "detail": exc.detail}, status_code=exc.status_code)


@router.get("", response_class=HTMLResponse)
def map_page(request: Request, session: DbSession,
             user: User = page_permission(P.MAP_READ)) -> HTMLResponse:
    conf = tenant_settings.map_settings(session, user.tenant_id)
    response = render(request, "map/page.html", {
        "current_user": user, "layers": LAYER_LABELS, "tile_url": conf.tile_url,
        "tile_attribution": conf.tile_attribution})
    response.headers["Content-Security-Policy"] = csp_with_tiles(conf.tile_url)
    return response


@router.get("/layers/{name}.geojson")
def layer_json(name: str, session: DbSession, settings: AppSettings,
               bbox: str | None = Query(None, max_length=200),
               user: User = page_permission(P.MAP_READ)) -> Response:
    if name not in layers.LAYERS:
        return JSONResponse({"error": "not_found", "detail": f"no map layer {name!r}"},
                            status_code=404)
    try:
        box = parse_bbox(bbox)
    except AppError as exc:
        return _error(exc)
    return JSONResponse(layers.layer(session, user.tenant_id, name, box,
                                     settings.map.max_features))


def _coordinate(value: str, name: str, low: int, high: int) -> Decimal:
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or not low <= number <= high:
        raise AppError(f"{name} is a number from {low} to {high}, not {value[:40]!r}")
    return number


@router.get("/coverage.json")
def coverage_json(session: DbSession, lat: str = "", lon: str = "",
                  user: User = page_permission(P.MAP_READ)) -> Response:
    try:
        point = (_coordinate(lat, "Latitude", -90, 90),
                 _coordinate(lon, "Longitude", -180, 180))
        found = areas.coverage_at(session, user.tenant_id, *point)
    except AppError as exc:
        return JSONResponse({"error": "validation_failed", "detail": exc.detail},
                            status_code=422)
    body: dict[str, Any] = areas.coverage_out(session, user.tenant_id, found).model_dump(
        mode="json")
    return JSONResponse(body)
