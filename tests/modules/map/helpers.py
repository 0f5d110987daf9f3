"""Small factories for the map tests: hand-made squares (lon/lat), areas and located rows."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.map import areas, schemas
from dotmac_isp.modules.map.models import CoverageArea
from dotmac_isp.modules.network.devices.models import Site
from tests.modules.network.devices.factories import make_site


def square(lon: float, lat: float, size: float) -> list[list[float]]:
    """A closed ring, counter-clockwise, from (lon, lat) with sides of `size` degrees."""
    return [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size],
            [lon, lat]]


def polygon(*rings: list[list[float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": list(rings)}


def make_area(session: Session, tenant: Tenant, geometry: dict[str, Any], *,
              name: str = "Town centre", site: Site | None = None,
              plan_ids: list[Any] | None = None) -> CoverageArea:
    site = site or make_site(session, tenant, f"{name} POP", latitude=Decimal("6.5"),
                             longitude=Decimal("3.3"))
    return areas.create_area(session, tenant.id, schemas.AreaCreate(
        site_id=site.id, name=name, geometry=geometry, plan_ids=plan_ids or []))
