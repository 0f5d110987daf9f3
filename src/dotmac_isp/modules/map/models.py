"""Map tables: a tenant's map settings (tile server, geocoder), coverage areas per site with
the plans sold there, and each service address's last geocoding attempt."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from dotmac_isp.shared.db import Audited, Base, TenantOwned, Timestamps, UUIDPrimaryKey
from dotmac_isp.shared.types import JSONType, UTCDateTime, utcnow


class MapSettings(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """Where the map's tiles come from and which geocoder finds addresses; all optional: with
    no tile server the map draws its points on a plain background."""

    __tablename__ = "map_settings"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    tile_url: Mapped[str] = mapped_column(String(500), default="")
    tile_attribution: Mapped[str] = mapped_column(String(300), default="")
    geocoder_url: Mapped[str] = mapped_column(String(500), default="")
    geocoder_user_agent: Mapped[str] = mapped_column(String(200), default="")


class CoverageArea(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """Where a site can serve: a polygon or multipolygon (GeoJSON, lon/lat), with its bounding
    box kept in columns so a coverage check reads only the areas whose box holds the point."""

    __tablename__ = "map_coverage_areas"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),
                      Index("ix_map_coverage_areas_box", "tenant_id", "min_lat", "max_lat"))
    # the audit log keeps the box and vertex count, not every vertex
    __audit_exclude__ = frozenset({"geometry"})

    site_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("network_sites.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    geometry: Mapped[dict[str, Any]] = mapped_column(JSONType)
    vertices: Mapped[int] = mapped_column(Integer)
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)


class CoverageAreaPlan(UUIDPrimaryKey, TenantOwned, Audited, Base):
    """A plan sold in a coverage area."""

    __tablename__ = "map_coverage_area_plans"
    __table_args__ = (UniqueConstraint("area_id", "plan_id"),)

    area_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("map_coverage_areas.id", ondelete="CASCADE"))
    plan_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("plans.id", ondelete="CASCADE"), index=True)


class GeocodeResult(UUIDPrimaryKey, TenantOwned, Base):
    """The last geocoding attempt for a service address: found, not found (not asked again
    until the address changes) or failed (asked again after a while)."""

    __tablename__ = "map_geocode_results"

    address_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("customer_addresses.id", ondelete="CASCADE"), unique=True)
    query: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str] = mapped_column(String(500), default="")
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
