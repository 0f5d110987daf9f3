"""The map's layers as GeoJSON FeatureCollections, each limited to a bounding box and capped:
a map of 100,000 customers sends the browser what it can draw, and says when it held back
("truncated": zoom in to see all)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from dotmac_isp.modules.customers import locations as customer_locations
from dotmac_isp.modules.map import areas
from dotmac_isp.modules.network.alerts import service as alerts_service
from dotmac_isp.modules.network.devices import locations as device_locations
from dotmac_isp.modules.services import service as services
from dotmac_isp.shared.geo import Box
from dotmac_isp.shared.pagination import PageParams

LAYERS = ("sites", "devices", "customers", "incidents", "coverage")
OPEN_INCIDENTS_READ = 1000  # open outages are few; more than this is a bad day anyway


def _point(lat: Decimal, lon: Decimal, properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "Point",
                                            "coordinates": [float(lon), float(lat)]},
            "properties": properties}


def _collection(features: list[dict[str, Any]], limit: int) -> dict[str, Any]:
    truncated = len(features) > limit
    return {"type": "FeatureCollection", "features": features[:limit], "truncated": truncated,
            "limit": limit}


def subscription_state(statuses: set[str]) -> str:
    """A customer's colour on the map: active if any service is, else suspended if any is,
    else pending while one is on its way (pending, provisioning or failed), else none."""
    if "active" in statuses:
        return "active"
    if "suspended" in statuses:
        return "suspended"
    if statuses & {"pending", "provisioning", "failed"}:
        return "pending"
    return "none"


def device_state(reachability: str) -> str:
    """up, down or unknown, from the monitoring state (a degraded device answers: up)."""
    return {"up": "up", "degraded": "up", "down": "down"}.get(reachability, "unknown")


def sites(session: Session, tenant_id: uuid.UUID, box: Box, limit: int) -> dict[str, Any]:
    rows = device_locations.site_points(session, tenant_id, box, limit + 1)
    return _collection([_point(r.latitude, r.longitude, {
        "kind": "site", "id": str(r.site_id), "name": r.name, "address": r.address,
        "url": f"/admin/sites/{r.site_id}/edit"}) for r in rows], limit)


def devices(session: Session, tenant_id: uuid.UUID, box: Box, limit: int) -> dict[str, Any]:
    rows = device_locations.device_points(session, tenant_id, box, limit + 1)
    return _collection([_point(r.latitude, r.longitude, {
        "kind": "device", "id": str(r.device_id), "name": r.name, "type": r.device_type,
        "state": device_state(r.reachability), "site": r.site_name,
        "url": f"/admin/devices/{r.device_id}"}) for r in rows], limit)


def customers(session: Session, tenant_id: uuid.UUID, box: Box, limit: int) -> dict[str, Any]:
    rows = customer_locations.service_points(session, tenant_id, box, limit + 1)
    statuses = services.statuses_by_customer(session, tenant_id,
                                             {r.customer_id for r in rows[:limit]})
    return _collection([_point(r.latitude, r.longitude, {
        "kind": "customer", "id": str(r.customer_id), "address_id": str(r.address_id),
        "name": r.name, "number": r.number, "address": r.address,
        "state": subscription_state(statuses.get(r.customer_id, set())),
        "url": f"/admin/customers/{r.customer_id}"}) for r in rows], limit)


def incidents(session: Session, tenant_id: uuid.UUID, box: Box, limit: int) -> dict[str, Any]:
    """Open incidents, each at its device (or the device's site)."""
    opened = alerts_service.list_incidents(session, tenant_id,
                                           PageParams(limit=OPEN_INCIDENTS_READ),
                                           status="open").items
    where = device_locations.device_locations(
        session, tenant_id, {i.device_id for i in opened if i.device_id is not None})
    features = []
    for incident in opened:
        at = where.get(incident.device_id) if incident.device_id else None
        if at is None or not box.holds(*at):
            continue
        features.append(_point(at[0], at[1], {
            "kind": "incident", "id": str(incident.id), "name": incident.reference,
            "title": incident.title, "device": incident.device_name,
            "affected": len(incident.affected_subscription_ids or []),
            "opened_at": incident.opened_at.isoformat(),
            "url": f"/admin/devices/{incident.device_id}" if incident.device_id
            else "/admin/alerts"}))
    return _collection(features, limit)


def coverage(session: Session, tenant_id: uuid.UUID, box: Box, limit: int) -> dict[str, Any]:
    """Coverage areas whose box meets the view, as their polygons."""
    found = [a for a in areas.all_areas(session, tenant_id)
             if a.min_lon <= box.max_lon and a.max_lon >= box.min_lon
             and a.min_lat <= box.max_lat and a.max_lat >= box.min_lat][:limit + 1]
    plans = areas.plan_ids_of(session, tenant_id, [a.id for a in found])
    return _collection([{"type": "Feature", "geometry": a.geometry, "properties": {
        "kind": "coverage", "id": str(a.id), "name": a.name, "site_id": str(a.site_id),
        "plans": len(plans.get(a.id, [])), "url": f"/admin/map/areas/{a.id}/edit"}}
        for a in found], limit)


READERS: dict[str, Callable[[Session, uuid.UUID, Box, int], dict[str, Any]]] = {
    "sites": sites, "devices": devices, "customers": customers, "incidents": incidents,
    "coverage": coverage}


def layer(session: Session, tenant_id: uuid.UUID, name: str, box: Box,
          limit: int) -> dict[str, Any]:
    """One layer's features in the box, at most `limit` of them."""
    return READERS[name](session, tenant_id, box, limit)
