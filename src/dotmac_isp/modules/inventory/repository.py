"""Tenant-scoped reads of the inventory tables."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from dotmac_isp.modules.inventory.models import (
    Item,
    ItemModel,
    Movement,
    StockLevel,
    StockLocation,
    StockThreshold,
)
from dotmac_isp.shared.tenancy import TenantRepository


class ItemModelRepository(TenantRepository[ItemModel]):
    model = ItemModel
    not_found_message = "item model not found"

    def by_name(self, vendor: str, model: str) -> ItemModel | None:
        return self.session.scalars(self.select().where(
            ItemModel.vendor == vendor, ItemModel.model == model)).one_or_none()

    def by_ids(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, ItemModel]:
        wanted = list(set(ids))
        if not wanted:
            return {}
        return {m.id: m for m in self.session.scalars(
            self.select().where(ItemModel.id.in_(wanted)))}


class LocationRepository(TenantRepository[StockLocation]):
    model = StockLocation
    not_found_message = "stock location not found"

    def by_name(self, name: str) -> StockLocation | None:
        return self.session.scalars(self.select().where(
            StockLocation.name == name)).one_or_none()

    def by_ids(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, StockLocation]:
        wanted = list(set(ids))
        if not wanted:
            return {}
        return {loc.id: loc for loc in self.session.scalars(
            self.select().where(StockLocation.id.in_(wanted)))}


class ItemRepository(TenantRepository[Item]):
    model = Item
    not_found_message = "item not found"

    def by_serial(self, item_model_id: uuid.UUID, serial: str) -> Item | None:
        return self.session.scalars(self.select().where(
            Item.item_model_id == item_model_id, Item.serial == serial)).one_or_none()

    def by_mac(self, mac: str) -> Item | None:
        return self.session.scalars(self.select().where(Item.mac == mac)).one_or_none()


class StockLevelRepository(TenantRepository[StockLevel]):
    model = StockLevel
    not_found_message = "stock level not found"


class ThresholdRepository(TenantRepository[StockThreshold]):
    model = StockThreshold
    not_found_message = "threshold not found"


class MovementRepository(TenantRepository[Movement]):
    model = Movement
    not_found_message = "movement not found"
