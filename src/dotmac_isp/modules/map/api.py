"""Map JSON API: layers as GeoJSON by bounding box, coverage areas, the coverage check, the
map settings, and geocoding a customer's service addresses."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from dotmac_isp.modules.identity.deps import AppSettings, DbSession, require
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.identity.principal import Principal
from dotmac_isp.modules.map import areas, geocode, layers, schemas, tenant_settings
from dotmac_isp.modules.map.models import MapSettings
from dotmac_isp.shared.errors import ValidationFailed
from dotmac_isp.shared.geo import parse_bbox
from dotmac_isp.shared.pagination import Page, PageParams, page_params

router = APIRouter(prefix="/map", tags=["map"])
Paging = Annotated[PageParams, Depends(page_params)]
READ, WRITE = require(Permission.MAP_READ), require(Permission.MAP_WRITE)
BBOX = Query(None, max_length=200, description="minLon,minLat,maxLon,maxLat (empty: all)")


def _layer_route(name: str) -> None:
    def read_layer(session: DbSession, settings: AppSettings, bbox: str | None = BBOX,
                   limit: int | None = Query(None, ge=1, description="at most the "
                                                                    "deployment's cap"),
                   principal: Principal = READ) -> dict[str, Any]:
        cap = min(limit or settings.map.max_features, settings.map.max_features)
        return layers.layer(session, principal.tenant_id, name, parse_bbox(bbox), cap)

    read_layer.__doc__ = (f"The {name} layer in the box as a GeoJSON FeatureCollection; "
                          f"\"truncated\" says the cap held some back (zoom in to see all).")
    router.add_api_route(f"/layers/{name}", read_layer, methods=["GET"],
                         response_model=dict[str, Any], name=f"map_layer_{name}")


for _name in layers.LAYERS:
    _layer_route(_name)


@router.get("/coverage", response_model=schemas.CoverageOut)
def coverage(session: DbSession,
             lat: Decimal | None = Query(None, ge=-90, le=90, max_digits=12, decimal_places=9),
             lon: Decimal | None = Query(None, ge=-180, le=180, max_digits=12,
                                         decimal_places=9),
             customer_id: uuid.UUID | None = None,
             principal: Principal = READ) -> schemas.CoverageOut:
    """Which sites and plans can serve a point (lat and lon) or a customer's service address.
    A point exactly on an area's edge or vertex is covered; inside a hole it is not."""
    tenant_id = principal.tenant_id
    if customer_id is not None:
        found = areas.customer_coverage(session, tenant_id, customer_id)
    elif lat is None or lon is None:
        raise ValidationFailed("give lat and lon, or customer_id")
    else:
        found = areas.coverage_at(session, tenant_id, lat, lon)
    return areas.coverage_out(session, tenant_id, found)


@router.get("/areas", response_model=Page[schemas.AreaOut])
def list_areas(session: DbSession, paging: Paging, site_id: uuid.UUID | None = None,
               principal: Principal = READ) -> Page[dict[str, Any]]:
    page = areas.list_areas(session, principal.tenant_id, paging, site_id=site_id)
    plans = areas.plan_ids_of(session, principal.tenant_id, [a.id for a in page.items])
    return Page(items=[areas.area_out(a, plans[a.id]) for a in page.items], total=page.total,
                limit=page.limit, offset=page.offset)


@router.post("/areas", response_model=schemas.AreaOut, status_code=201)
def create_area(body: schemas.AreaCreate, session: DbSession,
                principal: Principal = WRITE) -> dict[str, Any]:
    """Add a coverage area to a site: a GeoJSON Polygon or MultiPolygon, with its plans."""
    area = areas.create_area(session, principal.tenant_id, body)
    return areas.area_out(area, areas.plan_ids_of(session, principal.tenant_id,
                                                  [area.id])[area.id])


@router.get("/areas/{area_id}", response_model=schemas.AreaOut)
def get_area(area_id: uuid.UUID, session: DbSession,
             principal: Principal = READ) -> dict[str, Any]:
    area = areas.get_area(session, principal.tenant_id, area_id)
    return areas.area_out(area, areas.plan_ids_of(session, principal.tenant_id,
                                                  [area.id])[area.id])


@router.put("/areas/{area_id}", response_model=schemas.AreaOut)
def update_area(area_id: uuid.UUID, body: schemas.AreaUpdate, session: DbSession,
                principal: Principal = WRITE) -> dict[str, Any]:
    """Change an area (only the fields sent)."""
    area = areas.update_area(session, principal.tenant_id, area_id, body)
    return areas.area_out(area, areas.plan_ids_of(session, principal.tenant_id,
                                                  [area.id])[area.id])


@router.delete("/areas/{area_id}", status_code=204)
def delete_area(area_id: uuid.UUID, session: DbSession,
                principal: Principal = WRITE) -> Response:
    areas.delete_area(session, principal.tenant_id, area_id)
    return Response(status_code=204)


@router.get("/settings", response_model=schemas.MapSettingsOut)
def get_settings(session: DbSession, principal: Principal = READ) -> MapSettings:
    """The tile server and geocoder of the tenant's map."""
    return tenant_settings.map_settings(session, principal.tenant_id)


@router.put("/settings", response_model=schemas.MapSettingsOut)
def put_settings(body: schemas.MapSettingsIn, session: DbSession,
                 principal: Principal = WRITE) -> MapSettings:
    return tenant_settings.save_settings(session, principal.tenant_id, body)


@router.post("/customers/{customer_id}/geocode", response_model=list[schemas.GeocodeOut])
def geocode_customer(customer_id: uuid.UUID, session: DbSession,
                     principal: Principal = WRITE) -> list[schemas.GeocodeOut]:
    """Geocode the customer's service addresses that have no coordinates; each answer says
    found, not_found or failed (with the geocoder's error)."""
    return [schemas.GeocodeOut(address_id=o.address_id, query=o.query, status=o.status,
                               error=o.error, latitude=o.latitude, longitude=o.longitude)
            for o in geocode.geocode_customer(session, principal.tenant_id, customer_id)]
