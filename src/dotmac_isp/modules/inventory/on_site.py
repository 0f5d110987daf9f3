"""Equipment through a work order, as the technician at the premises handles it: install a
serialized item from the van (picked, or scanned or typed by serial or MAC) at the work
order's subscription, take the subscription's CPE back to the van (optionally faulty), and
what the work order's pages show: the van's stock, the CPE there now, and every movement
that names the work order. Services flush; the caller's unit of work commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_
from sqlalchemy.orm import Session

from dotmac_isp.modules.field import service as field_service
from dotmac_isp.modules.field.access import Scope
from dotmac_isp.modules.field.enums import WorkOrderKind, WorkOrderStatus
from dotmac_isp.modules.field.models import WorkOrder
from dotmac_isp.modules.inventory import catalogue, movements, schemas
from dotmac_isp.modules.inventory.enums import ItemState
from dotmac_isp.modules.inventory.errors import invalid
from dotmac_isp.modules.inventory.models import Item, ItemModel, Movement, StockLocation
from dotmac_isp.modules.inventory.places import describe, place_of
from dotmac_isp.modules.inventory.queries import Cpe, cpe_of_subscription, find_equipment
from dotmac_isp.modules.inventory.repository import (
    ItemModelRepository,
    ItemRepository,
    LocationRepository,
    MovementRepository,
)
from dotmac_isp.modules.inventory.work_orders import INSTALL_KINDS, TAKE_BACK_KINDS
from dotmac_isp.modules.services import service as services
from dotmac_isp.shared.pagination import PageParams

MAX_LISTED = 200


@dataclass(frozen=True)
class Hands:
    """Who is doing it: the signed-in user, and whether they may use any stock location
    (inventory:write) or only the technician's own vans and what was issued."""

    user_id: uuid.UUID | None
    any_location: bool = False


@dataclass(frozen=True)
class JobMove:
    kind: str
    serial: str
    mac: str | None
    model: str
    quantity: int
    faulty: bool
    place: str  # where it went (install: the subscription) or came from (return)
    actor_label: str
    note: str
    created_at: datetime


@dataclass
class JobEquipment:
    """What a work order's page shows of its equipment."""

    work_order: WorkOrder
    subscription_label: str | None
    vans: list[StockLocation]
    destinations: list[StockLocation]
    installable: list[tuple[Item, ItemModel]]
    installed: list[Cpe]
    moves: list[JobMove] = field(default_factory=list)
    can_install: bool = False
    can_take_back: bool = False
    warning: str | None = None


def _vans(session: Session, work_order: WorkOrder, hands: Hands) -> list[StockLocation]:
    """The vans of the work order's technician, then the signed-in user's own."""
    found: dict[uuid.UUID, StockLocation] = {}
    for user_id in (work_order.technician_id, hands.user_id):
        if user_id is not None:
            for van in catalogue.vans_of(session, work_order.tenant_id, user_id):
                if van.is_active:
                    found.setdefault(van.id, van)
    return list(found.values())


def _destinations(session: Session, work_order: WorkOrder, hands: Hands,
                  vans: list[StockLocation]) -> list[StockLocation]:
    if not hands.any_location:
        return vans
    others = [loc for loc in catalogue.list_locations(
        session, work_order.tenant_id, PageParams(limit=MAX_LISTED)).items
        if loc.is_active and loc.id not in {v.id for v in vans}]
    return [*vans, *others]


def _holders(work_order: WorkOrder, hands: Hands) -> set[uuid.UUID]:
    return {u for u in (work_order.technician_id, hands.user_id) if u is not None}


def _installable(session: Session, work_order: WorkOrder, hands: Hands,
                 vans: list[StockLocation]) -> list[tuple[Item, ItemModel]]:
    """Serialized items in stock in the vans, and those issued to the work order or to its
    technician."""
    repo = ItemRepository(session, work_order.tenant_id)
    stmt = repo.select().where(or_(
        Item.location_id.in_([v.id for v in vans]) & (Item.state == ItemState.IN_STOCK.value),
        Item.work_order_id == work_order.id,
        Item.technician_id.in_(_holders(work_order, hands)))).order_by(
        Item.serial).limit(MAX_LISTED)
    items = list(session.scalars(stmt))
    models = ItemModelRepository(session, work_order.tenant_id).by_ids(
        i.item_model_id for i in items)
    return [(i, models[i.item_model_id]) for i in items]


def _moves(session: Session, work_order: WorkOrder) -> list[JobMove]:
    repo = MovementRepository(session, work_order.tenant_id)
    rows = session.execute(
        repo.select(Movement, Item.serial, Item.mac)
        .outerjoin(Item, Item.id == Movement.item_id)
        .where(Movement.work_order_id == work_order.id)
        .order_by(Movement.created_at, Movement.id).limit(MAX_LISTED)).all()
    models = ItemModelRepository(session, work_order.tenant_id).by_ids(
        m.item_model_id for m, _, _ in rows)
    names = {loc_id: loc.name for loc_id, loc in LocationRepository(
        session, work_order.tenant_id).by_ids(
        i for m, _, _ in rows for i in (m.from_location_id, m.to_location_id) if i).items()}
    labels = services.subscription_labels(session, work_order.tenant_id, {
        m.subscription_id for m, _, _ in rows if m.subscription_id})
    moves = []
    for move, serial, mac in rows:
        sub = labels[move.subscription_id].radius_username \
            if move.subscription_id in labels else "the subscription"
        if move.kind == "install":
            place = sub
        elif move.kind == "return":
            place = names.get(move.to_location_id, "") if move.to_location_id else ""
        else:
            place = names.get(move.to_location_id or move.from_location_id, "") \
                if (move.to_location_id or move.from_location_id) else ""
        model = models[move.item_model_id].name if move.item_model_id in models else ""
        moves.append(JobMove(move.kind, serial or "", mac, model, move.quantity, move.faulty,
                             place, move.actor_label, move.note, move.created_at))
    return moves


def _warning(work_order: WorkOrder, installed: list[Cpe], label: str | None) -> str | None:
    if work_order.kind != WorkOrderKind.REMOVAL or not installed:
        return None
    what = ", ".join(f"{c.vendor} {c.model} {c.serial}" for c in installed)
    if work_order.status == WorkOrderStatus.DONE:
        return (f"This removal is done, but equipment is still installed at {label}: {what}. "
                "The subscription was left as it is.")
    return f"Equipment is still installed at {label}: {what}. Take it back before completing."


def equipment(session: Session, scope: Scope, work_order_id: uuid.UUID,
              hands: Hands) -> JobEquipment:
    """The work order's equipment as its pages show it."""
    work_order = field_service.get_work_order(session, scope, work_order_id)
    vans = _vans(session, work_order, hands)
    sub_id = work_order.subscription_id
    label = services.get_subscription(session, work_order.tenant_id, sub_id).radius_username \
        if sub_id else None
    installed = cpe_of_subscription(session, work_order.tenant_id, sub_id) if sub_id else []
    on_site = work_order.status == WorkOrderStatus.ON_SITE and sub_id is not None
    kind = WorkOrderKind(work_order.kind)
    return JobEquipment(
        work_order, label, vans, _destinations(session, work_order, hands, vans),
        _installable(session, work_order, hands, vans), installed,
        _moves(session, work_order), can_install=on_site and kind in INSTALL_KINDS,
        can_take_back=on_site and kind in TAKE_BACK_KINDS and bool(installed),
        warning=_warning(work_order, installed, label))


def _needs_subscription(work_order: WorkOrder) -> uuid.UUID:
    if work_order.subscription_id is None:
        raise invalid("work_order_id", f"work order {work_order.number} names no service: "
                                       "set its subscription first")
    return work_order.subscription_id


def _chosen(session: Session, work_order: WorkOrder, item_id: uuid.UUID | None,
            code: str) -> Item:
    """The item picked from the list, or the one whose serial or MAC was typed."""
    if item_id is not None:
        found = ItemRepository(session, work_order.tenant_id).find(item_id)
        if found is None:
            raise invalid("item_id", "no such item")
        return found
    code = code.strip()
    if not code:
        raise invalid("item_id", "pick the equipment, or scan or type its serial or MAC")
    matches = find_equipment(session, work_order.tenant_id, code, limit=2)
    if not matches:
        raise invalid("code", f"no equipment has the serial or MAC {code}")
    if len(matches) > 1:
        raise invalid("code", f"{code} is the serial of more than one item: pick it from "
                              "the list")
    return matches[0][0]


def _source(session: Session, work_order: WorkOrder, hands: Hands,
            item: Item) -> dict[str, uuid.UUID]:
    """Where the item is installed from, if the technician has it at hand."""
    here = place_of(item)
    vans = {v.id for v in _vans(session, work_order, hands)}
    if here.kind == "location" and here.id is not None and (
            here.id in vans or hands.any_location):
        return {"from_location_id": here.id}
    if here.kind == "work_order" and here.id == work_order.id:
        return {"from_work_order_id": work_order.id}
    if here.kind == "technician" and here.id in _holders(work_order, hands):
        return {"from_technician_id": here.id}
    where = describe(session, work_order.tenant_id, here, state=item.state)
    raise invalid("code", f"item {item.serial} is not in your van: it is {where}")


def install(session: Session, scope: Scope, work_order_id: uuid.UUID, hands: Hands, *,
            item_id: uuid.UUID | None = None, code: str = "", note: str = "",
            ) -> Movement:
    """Install one serialized item the technician has at hand at the work order's
    subscription; it becomes the subscription's CPE."""
    work_order = field_service.get_work_order(session, scope, work_order_id)
    sub_id = _needs_subscription(work_order)
    item = _chosen(session, work_order, item_id, code)
    body = schemas.InstallIn.model_validate({
        "item_ids": [item.id], "subscription_id": sub_id, "work_order_id": work_order.id,
        "note": note, **_source(session, work_order, hands, item)})
    return movements.install(session, work_order.tenant_id, body)[0]


def take_back(session: Session, scope: Scope, work_order_id: uuid.UUID, hands: Hands, *,
              item_id: uuid.UUID, to_location_id: uuid.UUID, faulty: bool = False,
              note: str = "") -> Movement:
    """Take equipment installed at the work order's subscription back to the van (or, for
    those who keep the inventory, any location), optionally marked faulty."""
    work_order = field_service.get_work_order(session, scope, work_order_id)
    sub_id = _needs_subscription(work_order)
    allowed = _destinations(session, work_order, hands, _vans(session, work_order, hands))
    if to_location_id not in {loc.id for loc in allowed}:
        raise invalid("to_location_id", "take it back to your van" if not hands.any_location
                      else "no such stock location")
    body = schemas.ReturnIn(item_ids=[item_id], from_subscription_id=sub_id,
                            to_location_id=to_location_id, faulty=faulty,
                            work_order_id=work_order.id, note=note)
    return movements.return_goods(session, work_order.tenant_id, body)[0]
