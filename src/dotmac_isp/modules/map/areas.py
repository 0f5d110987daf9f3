"""Coverage areas: where each site can serve and which plans are sold there, and the coverage
check (which sites and plans can serve a point). Services flush; callers commit."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dotmac_isp.modules.customers import locations as customer_locations
from dotmac_isp.modules.map import geometry, schemas
from dotmac_isp.modules.map.models import CoverageArea, CoverageAreaPlan
from dotmac_isp.modules.map.repository import AreaPlanRepository, AreaRepository
from dotmac_isp.modules.network.devices import service as devices_service
from dotmac_isp.modules.services import catalogue
from dotmac_isp.shared import references
from dotmac_isp.shared.errors import Conflict, ValidationFailed
from dotmac_isp.shared.pagination import Page, PageParams


def list_areas(session: Session, tenant_id: uuid.UUID, params: PageParams, *,
               site_id: uuid.UUID | None = None) -> Page[CoverageArea]:
    repo = AreaRepository(session, tenant_id)
    stmt = repo.select().order_by(CoverageArea.name, CoverageArea.id)
    if site_id is not None:
        stmt = stmt.where(CoverageArea.site_id == site_id)
    return repo.list(params, stmt)


def all_areas(session: Session, tenant_id: uuid.UUID) -> list[CoverageArea]:
    """Every coverage area of the tenant (areas are few: a handful per site)."""
    repo = AreaRepository(session, tenant_id)
    return list(session.scalars(repo.select().order_by(CoverageArea.name, CoverageArea.id)))


def get_area(session: Session, tenant_id: uuid.UUID, area_id: uuid.UUID) -> CoverageArea:
    return AreaRepository(session, tenant_id).get(area_id)


def plan_ids_of(session: Session, tenant_id: uuid.UUID,
                area_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    return AreaPlanRepository(session, tenant_id).plan_ids(area_ids)


def _check_site(session: Session, tenant_id: uuid.UUID, site_id: uuid.UUID) -> None:
    references.referenced(session, partial(devices_service.find_site, session, tenant_id),
                          site_id, "site_id", "site")


def _check_plans(session: Session, tenant_id: uuid.UUID, plan_ids: list[uuid.UUID]) -> None:
    known = catalogue.plans_by_id(session, tenant_id)
    missing = [str(p) for p in plan_ids if p not in known]
    if missing:
        raise ValidationFailed(f"plan_ids: no such plan {', '.join(missing[:3])}",
                               extra={"field": "plan_ids"})


def _place(area: CoverageArea, shape: geometry.Area) -> None:
    area.geometry = shape.geometry
    area.vertices = shape.vertices
    area.min_lon, area.min_lat = shape.min_lon, shape.min_lat
    area.max_lon, area.max_lat = shape.max_lon, shape.max_lat


def _set_plans(session: Session, tenant_id: uuid.UUID, area: CoverageArea,
               plan_ids: list[uuid.UUID]) -> None:
    repo = AreaPlanRepository(session, tenant_id)
    wanted = list(dict.fromkeys(plan_ids))
    for link in repo.of_area(area.id):
        if link.plan_id not in wanted:
            session.delete(link)
        else:
            wanted.remove(link.plan_id)
    for plan_id in wanted:
        session.add(CoverageAreaPlan(tenant_id=tenant_id, area_id=area.id, plan_id=plan_id))
    session.flush()


def _unique_name(repo: AreaRepository, name: str, area_id: uuid.UUID | None) -> None:
    existing = repo.by_name(name)
    if existing is not None and existing.id != area_id:
        raise Conflict(f"a coverage area named {name!r} already exists",
                       extra={"field": "name"})


def _named_flush(session: Session, name: str, write: Callable[[], object]) -> None:
    """Write in a savepoint: a same-named area stored meanwhile by a parallel request is a
    409, not a failed transaction."""
    try:
        with session.begin_nested():
            write()
    except IntegrityError:
        raise Conflict(f"a coverage area named {name!r} already exists",
                       extra={"field": "name"}) from None


def create_area(session: Session, tenant_id: uuid.UUID, data: schemas.AreaCreate) -> CoverageArea:
    """Add a site's coverage area; the geometry is checked first and nothing is stored when it
    is refused."""
    shape = geometry.read_area(data.geometry)
    _check_site(session, tenant_id, data.site_id)
    _check_plans(session, tenant_id, data.plan_ids)
    repo = AreaRepository(session, tenant_id)
    _unique_name(repo, data.name, None)
    area = CoverageArea(site_id=data.site_id, name=data.name, description=data.description)
    _place(area, shape)
    _named_flush(session, data.name, lambda: repo.add(area))
    _set_plans(session, tenant_id, area, data.plan_ids)
    return area


def update_area(session: Session, tenant_id: uuid.UUID, area_id: uuid.UUID,
                data: schemas.AreaUpdate) -> CoverageArea:
    """Change an area's site, name, description, shape or plans (only the fields sent)."""
    repo = AreaRepository(session, tenant_id)
    area = repo.get(area_id)
    changes = data.model_dump(exclude_unset=True)
    shape = geometry.read_area(changes["geometry"]) if "geometry" in changes else None
    if changes.get("site_id") is not None:
        _check_site(session, tenant_id, changes["site_id"])
        area.site_id = changes["site_id"]
    if changes.get("plan_ids") is not None:
        _check_plans(session, tenant_id, changes["plan_ids"])
    if changes.get("name") is not None:
        _unique_name(repo, changes["name"], area.id)
        area.name = changes["name"]
    if changes.get("description") is not None:
        area.description = changes["description"]
    if shape is not None:
        _place(area, shape)
    _named_flush(session, area.name, session.flush)
    if changes.get("plan_ids") is not None:
        _set_plans(session, tenant_id, area, changes["plan_ids"])
    return area


def delete_area(session: Session, tenant_id: uuid.UUID, area_id: uuid.UUID) -> None:
    repo = AreaRepository(session, tenant_id)
    repo.delete(repo.get(area_id))


def area_out(area: CoverageArea, plan_ids: list[uuid.UUID]) -> dict[str, Any]:
    return {"id": area.id, "site_id": area.site_id, "name": area.name,
            "description": area.description, "geometry": area.geometry,
            "vertices": area.vertices,
            "bbox": [area.min_lon, area.min_lat, area.max_lon, area.max_lat],
            "plan_ids": plan_ids, "created_at": area.created_at, "updated_at": area.updated_at}


# The coverage check ------------------------------------------------------------------------

@dataclass
class Coverage:
    latitude: Decimal
    longitude: Decimal
    areas: list[CoverageArea] = field(default_factory=list)

    @property
    def covered(self) -> bool:
        return bool(self.areas)


def coverage_at(session: Session, tenant_id: uuid.UUID, latitude: Decimal,
                longitude: Decimal) -> Coverage:
    """The coverage areas that hold the point: inside, or exactly on an edge or vertex (both
    count as covered); a point inside a hole is outside that area."""
    lat, lon = float(latitude), float(longitude)
    found = Coverage(latitude, longitude)
    for area in AreaRepository(session, tenant_id).holding(lat, lon):
        if geometry.covers(geometry.shape_of(area.geometry), lon, lat):
            found.areas.append(area)
    return found


def customer_coverage(session: Session, tenant_id: uuid.UUID,
                      customer_id: uuid.UUID) -> Coverage:
    """The coverage at the customer's service address."""
    point = customer_locations.service_location(session, tenant_id, customer_id)
    if point is None:
        raise ValidationFailed("the customer has no service address with coordinates: enter "
                               "them on the customer's page or geocode the address",
                               extra={"field": "customer_id"})
    return coverage_at(session, tenant_id, *point)


def coverage_out(session: Session, tenant_id: uuid.UUID, found: Coverage) -> schemas.CoverageOut:
    """The answer to a coverage check: the serving sites with their areas, and the plans sold
    in any of those areas (archived plans left out)."""
    plan_ids = plan_ids_of(session, tenant_id, [a.id for a in found.areas])
    plans = catalogue.plans_by_id(session, tenant_id)
    sites: dict[uuid.UUID, schemas.SiteCoverage] = {}
    for area in found.areas:
        if area.site_id not in sites:
            site = devices_service.get_site(session, tenant_id, area.site_id)
            sites[area.site_id] = schemas.SiteCoverage(site_id=site.id, name=site.name, areas=[])
        sites[area.site_id].areas.append(schemas.AreaRef(id=area.id, name=area.name))
    sold = {p for ids in plan_ids.values() for p in ids}
    offered = sorted((plans[p] for p in sold if p in plans and not plans[p].is_archived),
                     key=lambda p: (p.price, p.name))
    return schemas.CoverageOut(
        latitude=found.latitude, longitude=found.longitude, covered=found.covered,
        sites=sorted(sites.values(), key=lambda s: s.name),
        plans=[schemas.PlanRef(id=p.id, name=p.name, download_kbps=p.download_kbps,
                               upload_kbps=p.upload_kbps, price=p.price, currency=p.currency)
               for p in offered])
