"""Reading the inventory: items (paged by key), an item's history, the movement log, the
CPE installed at subscriptions, and finding equipment by serial or MAC."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dotmac_isp.modules.inventory.enums import ItemState
from dotmac_isp.modules.inventory.models import Item, ItemModel, Movement
from dotmac_isp.modules.inventory.repository import (
    ItemModelRepository,
    ItemRepository,
    MovementRepository,
)
from dotmac_isp.shared.keyset import KeyOrder
from dotmac_isp.shared.macaddr import normalise_mac
from dotmac_isp.shared.pagination import Page, PageParams

ITEM_ORDER = KeyOrder(Item.created_at, Item.id)
MOVEMENT_ORDER = KeyOrder(Movement.created_at, Movement.id)
HISTORY_LIMIT = 500


@dataclass(frozen=True)
class Cpe:
    item_id: uuid.UUID
    subscription_id: uuid.UUID
    vendor: str
    model: str
    serial: str
    mac: str | None
    installed_at: datetime | None


def get_item(session: Session, tenant_id: uuid.UUID, item_id: uuid.UUID) -> Item:
    return ItemRepository(session, tenant_id).get(item_id)


def update_item_notes(session: Session, tenant_id: uuid.UUID, item_id: uuid.UUID,
                      notes: str) -> Item:
    item = get_item(session, tenant_id, item_id)
    item.notes = notes
    session.flush()
    return item


def list_items(session: Session, tenant_id: uuid.UUID, params: PageParams, *,
               state: str | None = None, location_id: uuid.UUID | None = None,
               item_model_id: uuid.UUID | None = None,
               subscription_id: uuid.UUID | None = None, query: str | None = None,
               ) -> Page[Item]:
    """Items newest first, paged by key; query matches a serial exactly or a MAC."""
    repo = ItemRepository(session, tenant_id)
    stmt = repo.select()
    for column, value in ((Item.state, state), (Item.location_id, location_id),
                          (Item.item_model_id, item_model_id),
                          (Item.subscription_id, subscription_id)):
        if value is not None:
            stmt = stmt.where(column == value)
    if query:
        mac = normalise_mac(query)
        stmt = stmt.where(or_(Item.serial == query.strip(), Item.mac == mac) if mac
                          else Item.serial == query.strip())
    return repo.list_by_key(params, stmt, ITEM_ORDER)


def item_history(session: Session, tenant_id: uuid.UUID, item_id: uuid.UUID,
                 ) -> list[Movement]:
    """Every movement of the item, oldest first."""
    item = get_item(session, tenant_id, item_id)
    repo = MovementRepository(session, tenant_id)
    return list(session.scalars(repo.select().where(Movement.item_id == item.id)
                                .order_by(Movement.created_at, Movement.id)
                                .limit(HISTORY_LIMIT)))


def get_movement(session: Session, tenant_id: uuid.UUID, movement_id: uuid.UUID) -> Movement:
    return MovementRepository(session, tenant_id).get(movement_id)


def list_movements(session: Session, tenant_id: uuid.UUID, params: PageParams, *,
                   location_id: uuid.UUID | None = None, item_id: uuid.UUID | None = None,
                   subscription_id: uuid.UUID | None = None,
                   work_order_id: uuid.UUID | None = None, kind: str | None = None,
                   ) -> Page[Movement]:
    """The movement log newest first, paged by key."""
    repo = MovementRepository(session, tenant_id)
    stmt = repo.select()
    if location_id is not None:
        stmt = stmt.where(or_(Movement.from_location_id == location_id,
                              Movement.to_location_id == location_id))
    for column, value in ((Movement.item_id, item_id),
                          (Movement.subscription_id, subscription_id),
                          (Movement.work_order_id, work_order_id), (Movement.kind, kind)):
        if value is not None:
            stmt = stmt.where(column == value)
    return repo.list_by_key(params, stmt, MOVEMENT_ORDER)


def _cpe_rows(session: Session, tenant_id: uuid.UUID, *conditions: object) -> list[Cpe]:
    stmt = (select(Item.id, Item.subscription_id, ItemModel.vendor, ItemModel.model,
                   Item.serial, Item.mac, Item.installed_at)
            .join(ItemModel, ItemModel.id == Item.item_model_id)
            .where(Item.tenant_id == tenant_id, Item.state == ItemState.INSTALLED.value,
                   *conditions)  # type: ignore[arg-type]
            .order_by(Item.installed_at, Item.id))
    return [Cpe(item_id, sub_id, vendor, model, serial, mac, installed_at)
            for item_id, sub_id, vendor, model, serial, mac, installed_at
            in session.execute(stmt) if sub_id is not None]


def cpe_of_subscription(session: Session, tenant_id: uuid.UUID,
                        subscription_id: uuid.UUID) -> list[Cpe]:
    """The equipment installed at the subscription, first installed first."""
    return _cpe_rows(session, tenant_id, Item.subscription_id == subscription_id)


def find_equipment(session: Session, tenant_id: uuid.UUID, text: str,
                   limit: int = 10) -> list[tuple[Item, ItemModel]]:
    """Items whose serial is the text, or whose MAC is the text in any written form."""
    text = text.strip()
    if not text:
        return []
    mac = normalise_mac(text)
    condition = or_(Item.serial == text, Item.mac == mac) if mac else Item.serial == text
    items = list(session.scalars(ItemRepository(session, tenant_id).select()
                                 .where(condition).order_by(Item.created_at.desc())
                                 .limit(limit)))
    models = ItemModelRepository(session, tenant_id).by_ids(i.item_model_id for i in items)
    return [(i, models[i.item_model_id]) for i in items]


def items_by_serial(session: Session, tenant_id: uuid.UUID,
                    serials: Collection[str]) -> dict[str, list[Item]]:
    """{serial: the items with it} (a serial is unique per model, not across models)."""
    found: dict[str, list[Item]] = {}
    wanted = list(set(serials))
    for start in range(0, len(wanted), 500):
        for item in session.scalars(ItemRepository(session, tenant_id).select().where(
                Item.serial.in_(wanted[start:start + 500]))):
            found.setdefault(item.serial, []).append(item)
    return found


def bound_macs(session: Session, subscription_ids: Collection[uuid.UUID] | None,
               ) -> dict[tuple[uuid.UUID, uuid.UUID], frozenset[str]]:
    """{(tenant, subscription): MACs of its installed CPE}, for every subscription (None) or
    the given ones; read in bulk for the RADIUS servers' policy load."""
    stmt = select(Item.tenant_id, Item.subscription_id, Item.mac).where(
        Item.state == ItemState.INSTALLED.value, Item.mac.is_not(None))
    found: dict[tuple[uuid.UUID, uuid.UUID], set[str]] = {}
    chunks: list[list[uuid.UUID] | None] = [None]
    if subscription_ids is not None:
        ids = list(subscription_ids)
        chunks = [ids[i:i + 500] for i in range(0, len(ids), 500)]
    for chunk in chunks:
        query = stmt if chunk is None else stmt.where(Item.subscription_id.in_(chunk))
        for tenant_id, sub_id, mac in session.execute(query):
            if sub_id is not None and mac:
                found.setdefault((tenant_id, sub_id), set()).add(mac)
    return {key: frozenset(macs) for key, macs in found.items()}
