"""Where an item is: one place of four kinds, and how a message names it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from dotmac_isp.modules.field import service as field_service
from dotmac_isp.modules.inventory.models import Item
from dotmac_isp.modules.inventory.repository import LocationRepository
from dotmac_isp.modules.services import service as services
from dotmac_isp.shared.errors import NotFound


@dataclass(frozen=True)
class Place:
    kind: str  # location, subscription, work_order, technician, or nowhere
    id: uuid.UUID | None

    @classmethod
    def of(cls, source: Any) -> Place:
        """The one place a Source body names."""
        for kind in ("location", "subscription", "work_order", "technician"):
            value = getattr(source, f"from_{kind}_id", None)
            if value is not None:
                return cls(kind, value)
        return cls("nowhere", None)


def place_of(item: Item) -> Place:
    for kind in ("location", "subscription", "work_order", "technician"):
        value = getattr(item, f"{kind}_id")
        if value is not None:
            return Place(kind, value)
    return Place("nowhere", None)


def describe(session: Session, tenant_id: uuid.UUID, place: Place, *,
             state: str | None = None) -> str:
    """"Main warehouse", "installed at a subscription", "issued to work order ..."."""
    if place.kind == "location" and place.id is not None:
        location = LocationRepository(session, tenant_id).find(place.id)
        name = location.name if location else "a location"
        return f"{name} ({state.replace('_', ' ')})" if state == "faulty" else name
    if place.kind == "subscription" and place.id is not None:
        try:
            name = services.get_subscription(session, tenant_id, place.id).radius_username
        except NotFound:
            name = str(place.id)
        return f"installed at subscription {name}" if state else f"subscription {name}"
    if place.kind == "work_order" and place.id is not None:
        try:
            number = field_service.get_work_order(session, tenant_id, place.id).number
        except NotFound:
            number = str(place.id)
        return f"issued to work order {number}" if state else f"work order {number}"
    if place.kind == "technician":
        return f"issued to technician {place.id}" if state else f"technician {place.id}"
    return "written off" if state else "nowhere"
