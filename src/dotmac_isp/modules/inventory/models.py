"""Inventory tables: item models, stock locations, serialized items, quantities of
unserialized stock, low-stock thresholds, and the append-only movement log."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    event,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from dotmac_isp.shared.db import Audited, Base, TenantOwned, Timestamps, UUIDPrimaryKey
from dotmac_isp.shared.errors import Conflict
from dotmac_isp.shared.money import MoneyColumn
from dotmac_isp.shared.types import UTCDateTime, utcnow

# An item is in exactly one place: a stock location (in stock or faulty), a subscription
# (installed), a work order or a technician (issued); a written-off item is nowhere.
_ONE_PLACE = (
    "(CASE WHEN location_id IS NULL THEN 0 ELSE 1 END"
    " + CASE WHEN subscription_id IS NULL THEN 0 ELSE 1 END"
    " + CASE WHEN work_order_id IS NULL THEN 0 ELSE 1 END"
    " + CASE WHEN technician_id IS NULL THEN 0 ELSE 1 END)"
    " = CASE WHEN state = 'written_off' THEN 0 ELSE 1 END")
_PLACE_FITS_STATE = (
    "(state IN ('in_stock', 'faulty') AND location_id IS NOT NULL)"
    " OR (state = 'installed' AND subscription_id IS NOT NULL)"
    " OR (state = 'issued' AND (work_order_id IS NOT NULL OR technician_id IS NOT NULL))"
    " OR state = 'written_off'")


class ItemModel(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """A kind of equipment the ISP stocks: a vendor's model, serialized or counted."""

    __tablename__ = "inventory_item_models"
    __table_args__ = (UniqueConstraint("tenant_id", "vendor", "model"),)

    vendor: Mapped[str] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    serialized: Mapped[bool] = mapped_column(Boolean, default=True)
    unit_cost: Mapped[Decimal] = mapped_column(MoneyColumn, default=Decimal("0"))
    notes: Mapped[str] = mapped_column(Text, default="")

    @property
    def name(self) -> str:
        return f"{self.vendor} {self.model}"


class StockLocation(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """A warehouse, or a technician's van (owned by a staff user)."""

    __tablename__ = "inventory_locations"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    owner_user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class Item(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """One serialized piece of equipment and where it is now."""

    __tablename__ = "inventory_items"
    __table_args__ = (
        UniqueConstraint("tenant_id", "item_model_id", "serial"),
        UniqueConstraint("tenant_id", "mac"),
        Index("ix_inventory_items_tenant_serial", "tenant_id", "serial"),
        Index("ix_inventory_items_location_model", "location_id", "item_model_id", "state"),
        CheckConstraint(_ONE_PLACE, name="one_place"),
        CheckConstraint(_PLACE_FITS_STATE, name="place_fits_state"),
    )

    item_model_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("inventory_item_models.id"), index=True)
    serial: Mapped[str] = mapped_column(String(100))
    mac: Mapped[str | None] = mapped_column(String(17), nullable=True)
    state: Mapped[str] = mapped_column(String(16))
    location_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("inventory_locations.id"), nullable=True)
    subscription_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("subscriptions.id"), nullable=True, index=True)
    work_order_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("work_orders.id"), nullable=True, index=True)
    # A staff user's id; kept when the user is removed, so issued equipment is not lost.
    technician_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True, index=True)
    installed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")


class StockLevel(UUIDPrimaryKey, TenantOwned, Base):
    """How many of an unserialized model a location holds; never below zero."""

    __tablename__ = "inventory_stock"
    __table_args__ = (UniqueConstraint("location_id", "item_model_id"),
                      CheckConstraint("quantity >= 0", name="not_negative"))

    location_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("inventory_locations.id"))
    item_model_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("inventory_item_models.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer, default=0)


class StockThreshold(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """Below `minimum` in stock at the location, the model is flagged low (low_since)."""

    __tablename__ = "inventory_thresholds"
    __table_args__ = (UniqueConstraint("location_id", "item_model_id"),
                      CheckConstraint("minimum >= 1", name="minimum_positive"),
                      Index("ix_inventory_thresholds_tenant_low", "tenant_id", "low_since"))

    location_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("inventory_locations.id"))
    item_model_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("inventory_item_models.id"), index=True)
    minimum: Mapped[int] = mapped_column(Integer)
    low_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Movement(UUIDPrimaryKey, TenantOwned, Base):
    """One move of stock, never changed afterwards: the history of every item and location."""

    __tablename__ = "inventory_movements"
    __table_args__ = (
        Index("ix_inventory_movements_item", "item_id", "created_at"),
        Index("ix_inventory_movements_tenant_created", "tenant_id", "created_at", "id"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
    )

    kind: Mapped[str] = mapped_column(String(16))
    item_model_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("inventory_item_models.id"))
    item_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("inventory_items.id"), nullable=True)
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    from_location_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("inventory_locations.id"), nullable=True)
    to_location_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("inventory_locations.id"), nullable=True)
    subscription_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("subscriptions.id"), nullable=True, index=True)
    work_order_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("work_orders.id"), nullable=True, index=True)
    technician_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    faulty: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(String(500), default="")
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    actor_label: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@event.listens_for(Session, "before_flush")
def _movements_are_append_only(session: Session, _context: Any, _instances: Any) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, Movement) and (obj in session.deleted or session.is_modified(obj)):
            raise Conflict("a stock movement is never changed or removed; record a new one")
