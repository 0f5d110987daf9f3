"""Where sites and devices stand, for the map: a device at its own coordinates, else at its
site's. Subscriber devices (CPE, ONU) without coordinates of their own are left out: they
stand at their customers' addresses, not piled on the site. Plain rows for other modules."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import ColumnElement, and_
from sqlalchemy.orm import Mapped, Session

from dotmac_isp.modules.network.devices.enums import SUBSCRIBER_DEVICE_TYPES
from dotmac_isp.modules.network.devices.models import Device, Site
from dotmac_isp.modules.network.devices.repository import DeviceRepository, SiteRepository
from dotmac_isp.shared.geo import Box

SUBSCRIBER_TYPES = tuple(t.value for t in SUBSCRIBER_DEVICE_TYPES)


@dataclass(frozen=True)
class SitePoint:
    site_id: uuid.UUID
    name: str
    address: str
    latitude: Decimal
    longitude: Decimal


@dataclass(frozen=True)
class DevicePoint:
    device_id: uuid.UUID
    name: str
    device_type: str
    reachability: str
    site_name: str
    latitude: Decimal
    longitude: Decimal


def _between(column: Mapped[Decimal | None], low: float, high: float) -> ColumnElement[bool]:
    return column.between(Decimal(str(low)), Decimal(str(high)))


def site_points(session: Session, tenant_id: uuid.UUID, box: Box, limit: int) -> list[SitePoint]:
    """Located sites in the box, at most `limit`."""
    stmt = (SiteRepository(session, tenant_id).select(
        Site.id, Site.name, Site.address, Site.latitude, Site.longitude)
        .where(_between(Site.latitude, box.min_lat, box.max_lat),
               _between(Site.longitude, box.min_lon, box.max_lon))
        .order_by(Site.name, Site.id).limit(limit))
    return [SitePoint(*row) for row in session.execute(stmt)]


def device_points(session: Session, tenant_id: uuid.UUID, box: Box,
                  limit: int) -> list[DevicePoint]:
    """Devices standing in the box (their own coordinates, else their site's), at most
    `limit`: those placed on their own first, then those at located sites in the box."""
    repo = DeviceRepository(session, tenant_id)
    columns = (Device.id, Device.name, Device.device_type, Device.reachability)
    own = session.execute(repo.select(*columns, Device.latitude, Device.longitude).where(
        _between(Device.latitude, box.min_lat, box.max_lat),
        _between(Device.longitude, box.min_lon, box.max_lon))
        .order_by(Device.name, Device.id).limit(limit)).all()
    points = [DevicePoint(r.id, r.name, r.device_type, r.reachability, "", r.latitude,
                          r.longitude) for r in own]
    if len(points) >= limit:
        return points
    at_sites = session.execute(repo.select(*columns, Site.name, Site.latitude, Site.longitude)
                               .join(Site, and_(Site.id == Device.site_id,
                                                Site.tenant_id == tenant_id))
                               .where(Device.latitude.is_(None),
                                      Device.device_type.not_in(SUBSCRIBER_TYPES),
                                      _between(Site.latitude, box.min_lat, box.max_lat),
                                      _between(Site.longitude, box.min_lon, box.max_lon))
                               .order_by(Device.name, Device.id)
                               .limit(limit - len(points))).all()
    return points + [DevicePoint(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in at_sites]


def device_locations(session: Session, tenant_id: uuid.UUID, device_ids: Collection[uuid.UUID],
                     ) -> dict[uuid.UUID, tuple[Decimal, Decimal]]:
    """Where each of the devices stands (own coordinates, else its site's); unplaced ones are
    left out."""
    if not device_ids:
        return {}
    stmt = (DeviceRepository(session, tenant_id).select(
        Device.id, Device.latitude, Device.longitude, Site.latitude, Site.longitude)
        .outerjoin(Site, and_(Site.id == Device.site_id, Site.tenant_id == tenant_id))
        .where(Device.id.in_(list(device_ids))))
    found = {}
    for device_id, lat, lon, site_lat, site_lon in session.execute(stmt):
        if lat is not None and lon is not None:
            found[device_id] = (lat, lon)
        elif site_lat is not None and site_lon is not None:
            found[device_id] = (site_lat, site_lon)
    return found
