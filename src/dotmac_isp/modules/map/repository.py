"""Tenant-scoped reads and writes of map rows."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from dotmac_isp.modules.map.models import (
    CoverageArea,
    CoverageAreaPlan,
    GeocodeResult,
    MapSettings,
)
from dotmac_isp.shared.tenancy import TenantRepository


class SettingsRepository(TenantRepository[MapSettings]):
    model = MapSettings
    not_found_message = "map settings not found"

    def current(self) -> MapSettings | None:
        return self.session.scalars(self.select()).one_or_none()


class AreaRepository(TenantRepository[CoverageArea]):
    model = CoverageArea
    not_found_message = "coverage area not found"

    def by_name(self, name: str) -> CoverageArea | None:
        return self.session.scalars(self.select().where(CoverageArea.name == name)).first()

    def holding(self, lat: float, lon: float) -> list[CoverageArea]:
        """The areas whose bounding box holds the point (the candidates to test exactly)."""
        return list(self.session.scalars(self.select().where(
            CoverageArea.min_lat <= lat, CoverageArea.max_lat >= lat,
            CoverageArea.min_lon <= lon, CoverageArea.max_lon >= lon)
            .order_by(CoverageArea.name)))


class AreaPlanRepository(TenantRepository[CoverageAreaPlan]):
    model = CoverageAreaPlan
    not_found_message = "coverage area plan not found"

    def plan_ids(self, area_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
        found: dict[uuid.UUID, list[uuid.UUID]] = {a: [] for a in area_ids}
        if not area_ids:
            return found
        stmt = self.select(CoverageAreaPlan.area_id, CoverageAreaPlan.plan_id).where(
            CoverageAreaPlan.area_id.in_(list(area_ids)))
        for area_id, plan_id in self.session.execute(stmt):
            found[area_id].append(plan_id)
        return found

    def of_area(self, area_id: uuid.UUID) -> list[CoverageAreaPlan]:
        return list(self.session.scalars(self.select().where(
            CoverageAreaPlan.area_id == area_id)))


class GeocodeResultRepository(TenantRepository[GeocodeResult]):
    model = GeocodeResult
    not_found_message = "geocoding result not found"

    def of_addresses(self, address_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, GeocodeResult]:
        if not address_ids:
            return {}
        return {r.address_id: r for r in self.session.scalars(self.select().where(
            GeocodeResult.address_id.in_(list(address_ids))))}
