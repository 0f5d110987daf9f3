"""Inventory API bodies and answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from dotmac_isp.modules.inventory.enums import ItemKind, LocationKind
from dotmac_isp.shared.macaddr import normalise_mac
from dotmac_isp.shared.money import MoneyAmount

TEXT = r"^[^\x00-\x1f]*$"
MAX_UNITS = 500  # serials in one receipt
MAX_QUANTITY = 1_000_000


class ItemModelCreate(BaseModel):
    vendor: str = Field(min_length=1, max_length=100, pattern=TEXT)
    model: str = Field(min_length=1, max_length=100, pattern=TEXT)
    kind: ItemKind
    serialized: bool = True
    unit_cost: Decimal = Field(Decimal("0"), ge=0, max_digits=14, decimal_places=4)
    notes: str = Field("", max_length=2000)


class ItemModelUpdate(BaseModel):
    """Serialized or not is fixed once created: stock already counted one way stays so."""

    vendor: str | None = Field(None, min_length=1, max_length=100, pattern=TEXT)
    model: str | None = Field(None, min_length=1, max_length=100, pattern=TEXT)
    kind: ItemKind | None = None
    unit_cost: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=4)
    notes: str | None = Field(None, max_length=2000)


class ItemModelOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    vendor: str
    model: str
    kind: str
    serialized: bool
    unit_cost: MoneyAmount
    notes: str
    created_at: datetime


class LocationCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100, pattern=TEXT)
    kind: LocationKind
    owner_user_id: uuid.UUID | None = None
    address: str = Field("", max_length=300, pattern=TEXT)
    notes: str = Field("", max_length=2000)

    @model_validator(mode="after")
    def _van_has_owner(self) -> LocationCreate:
        if self.kind == LocationKind.VAN and self.owner_user_id is None:
            raise ValueError("a van needs owner_user_id: the technician who drives it")
        return self


class LocationUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=100, pattern=TEXT)
    owner_user_id: uuid.UUID | None = None
    address: str | None = Field(None, max_length=300, pattern=TEXT)
    notes: str | None = Field(None, max_length=2000)
    is_active: bool | None = None


class LocationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    kind: str
    owner_user_id: uuid.UUID | None
    address: str
    notes: str
    is_active: bool
    created_at: datetime


class ThresholdSet(BaseModel):
    item_model_id: uuid.UUID
    minimum: int | None = Field(None, ge=1, le=MAX_QUANTITY,
                                description="below this many in stock the model is low; "
                                            "null removes the threshold")


class StockRowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    item_model_id: uuid.UUID
    vendor: str
    model: str
    kind: str
    serialized: bool
    in_stock: int
    faulty: int
    minimum: int | None
    low: bool


class LocationStockOut(BaseModel):
    location: LocationOut
    rows: list[StockRowOut]


class ItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    item_model_id: uuid.UUID
    serial: str
    mac: str | None
    state: str
    location_id: uuid.UUID | None
    subscription_id: uuid.UUID | None
    work_order_id: uuid.UUID | None
    technician_id: uuid.UUID | None
    installed_at: datetime | None
    notes: str
    created_at: datetime


class ItemUpdate(BaseModel):
    notes: str = Field(max_length=2000)


class MovementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    kind: str
    item_model_id: uuid.UUID
    item_id: uuid.UUID | None
    quantity: int
    from_location_id: uuid.UUID | None
    to_location_id: uuid.UUID | None
    subscription_id: uuid.UUID | None
    work_order_id: uuid.UUID | None
    work_order_number: str | None = None
    technician_id: uuid.UUID | None
    faulty: bool
    note: str
    actor_label: str
    created_at: datetime


class CpeOut(BaseModel):
    item_id: uuid.UUID
    vendor: str
    model: str
    serial: str
    mac: str | None
    installed_at: datetime | None


# Movements -----------------------------------------------------------------------------

class Unit(BaseModel):
    serial: str = Field(min_length=1, max_length=100, pattern=TEXT)
    mac: str | None = Field(None, max_length=32)

    @field_validator("serial")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a serial cannot be blank")
        return value.strip()

    @field_validator("mac")
    @classmethod
    def _mac(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        mac = normalise_mac(value)
        if mac is None:
            raise ValueError(f"{value!r} is not a MAC address such as aa:bb:cc:dd:ee:ff")
        return mac


class Goods(BaseModel):
    """What moves: serialized items by id, or a quantity of an unserialized model."""

    item_ids: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_UNITS)
    item_model_id: uuid.UUID | None = None
    quantity: int | None = Field(None, ge=1, le=MAX_QUANTITY)
    note: str = Field("", max_length=500)

    @model_validator(mode="after")
    def _one_way(self) -> Goods:
        if self.item_ids and (self.item_model_id or self.quantity):
            raise ValueError("give item_ids, or item_model_id with quantity, not both")
        if not self.item_ids and not (self.item_model_id and self.quantity):
            raise ValueError("give item_ids, or item_model_id with quantity")
        if len(set(self.item_ids)) != len(self.item_ids):
            raise ValueError("an item is listed twice in item_ids")
        return self


class Source(BaseModel):
    """Where the goods are now: exactly one place."""

    from_location_id: uuid.UUID | None = None
    from_subscription_id: uuid.UUID | None = None
    from_work_order_id: uuid.UUID | None = None
    from_technician_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Source:
        given = [v for v in (self.from_location_id, self.from_subscription_id,
                             self.from_work_order_id, self.from_technician_id) if v]
        if len(given) != 1:
            raise ValueError("say where the goods come from: exactly one of "
                             "from_location_id, from_subscription_id, from_work_order_id, "
                             "from_technician_id")
        return self


class ReceiveIn(BaseModel):
    location_id: uuid.UUID
    item_model_id: uuid.UUID
    units: list[Unit] = Field(default_factory=list, max_length=MAX_UNITS)
    quantity: int | None = Field(None, ge=1, le=MAX_QUANTITY)
    work_order_id: uuid.UUID | None = None
    note: str = Field("", max_length=500)

    @model_validator(mode="after")
    def _something(self) -> ReceiveIn:
        if bool(self.units) == bool(self.quantity):
            raise ValueError("give units (serial and MAC of each item) for a serialized "
                             "model, or quantity for an unserialized one")
        serials = [u.serial for u in self.units]
        macs = [u.mac for u in self.units if u.mac]
        if len(set(serials)) != len(serials) or len(set(macs)) != len(macs):
            raise ValueError("a serial or MAC address is listed twice")
        return self


class TransferIn(Goods):
    from_location_id: uuid.UUID
    to_location_id: uuid.UUID

    @model_validator(mode="after")
    def _two_places(self) -> TransferIn:
        if self.from_location_id == self.to_location_id:
            raise ValueError("to_location_id must differ from from_location_id")
        return self


class IssueIn(Goods):
    from_location_id: uuid.UUID
    work_order_id: uuid.UUID | None = None
    technician_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _one_holder(self) -> IssueIn:
        if bool(self.work_order_id) == bool(self.technician_id):
            raise ValueError("issue to a work order (work_order_id) or to a technician "
                             "(technician_id): one of them")
        return self


class InstallIn(Goods, Source):
    subscription_id: uuid.UUID
    work_order_id: uuid.UUID | None = None


class ReturnIn(Goods, Source):
    to_location_id: uuid.UUID
    faulty: bool = False
    work_order_id: uuid.UUID | None = None


class WriteOffIn(Goods, Source):
    pass


# Equipment through a work order -------------------------------------------------------

class JobInstallIn(BaseModel):
    """The item picked (item_id), or its serial or MAC as scanned or typed (code)."""

    item_id: uuid.UUID | None = None
    code: str = Field("", max_length=100, pattern=TEXT)
    note: str = Field("", max_length=500)

    @model_validator(mode="after")
    def _one(self) -> JobInstallIn:
        if (self.item_id is None) == (not self.code.strip()):
            raise ValueError("give item_id or code (a serial or MAC), one of them")
        return self


class JobTakeBackIn(BaseModel):
    item_id: uuid.UUID
    to_location_id: uuid.UUID
    faulty: bool = False
    note: str = Field("", max_length=500)


class JobMoveOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    kind: str
    serial: str
    mac: str | None
    model: str
    quantity: int
    faulty: bool
    place: str
    actor_label: str
    note: str
    created_at: datetime


class JobItemOut(BaseModel):
    item_id: uuid.UUID
    model: str
    serial: str
    mac: str | None
    state: str


class JobEquipmentOut(BaseModel):
    work_order_id: uuid.UUID
    subscription_label: str | None
    vans: list[LocationOut]
    installable: list[JobItemOut]
    installed: list[CpeOut]
    moves: list[JobMoveOut]
    can_install: bool
    can_take_back: bool
    warning: str | None
