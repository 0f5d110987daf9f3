"""Factories for the inventory: item models, locations, received stock."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.inventory import catalogue, movements, schemas
from dotmac_isp.modules.inventory.models import Item, ItemModel, StockLocation


def make_item_model(session: Session, tenant: Tenant, **overrides: Any) -> ItemModel:
    data: dict[str, Any] = {"vendor": "Huawei", "model": f"HG8245-{uuid.uuid4().hex[:6]}",
                            "kind": "onu", "serialized": True,
                            "unit_cost": Decimal("38.50")}
    data.update(overrides)
    return catalogue.create_item_model(session, tenant.id,
                                       schemas.ItemModelCreate.model_validate(data))


def make_location(session: Session, tenant: Tenant, name: str | None = None,
                  **overrides: Any) -> StockLocation:
    data: dict[str, Any] = {"name": name or f"Warehouse {uuid.uuid4().hex[:6]}",
                            "kind": "warehouse"}
    data.update(overrides)
    return catalogue.create_location(session, tenant.id,
                                     schemas.LocationCreate.model_validate(data))


def mac_of(n: int, prefix: str = "00:25:9e:00") -> str:
    return f"{prefix}:{n // 256:02x}:{n % 256:02x}"


def receive_units(session: Session, tenant: Tenant, location: StockLocation,
                  model: ItemModel, count: int, *, serial_prefix: str = "SN",
                  mac_prefix: str = "00:25:9e:00") -> list[Item]:
    """`count` units with serials SN-0001... and MACs, received at the location."""
    units = [{"serial": f"{serial_prefix}-{n:04d}", "mac": mac_of(n, mac_prefix)}
             for n in range(1, count + 1)]
    rows = movements.receive(session, tenant.id, schemas.ReceiveIn.model_validate(
        {"location_id": location.id, "item_model_id": model.id, "units": units}))
    return [session.get_one(Item, r.item_id) for r in rows]
