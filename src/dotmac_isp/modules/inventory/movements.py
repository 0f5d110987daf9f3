"""Moving stock: receive, transfer, issue, install, return and write off.

Every move names where the goods come from and is refused, changing nothing, when they are
not there. Serialized items are locked (SELECT ... FOR UPDATE, in id order) before they are
checked, so of two technicians installing the same serial at once the second finds it gone;
unserialized quantities move by conditional updates that never go below zero. Each moved
item (or quantity) leaves one row in the append-only movement log.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from sqlalchemy.orm import Session

from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.identity.audit import SYSTEM_ACTOR, AuditActor
from dotmac_isp.modules.inventory import catalogue, schemas, stock, work_orders
from dotmac_isp.modules.inventory.enums import AT_LOCATION, ItemState, MovementKind
from dotmac_isp.modules.inventory.errors import NotAtSource, WrongState, invalid
from dotmac_isp.modules.inventory.events import CpeBound, CpeUnbound
from dotmac_isp.modules.inventory.models import Item, ItemModel, Movement, StockLocation
from dotmac_isp.modules.inventory.places import Place, describe, place_of
from dotmac_isp.modules.inventory.repository import ItemRepository
from dotmac_isp.modules.services import service as services
from dotmac_isp.shared import references
from dotmac_isp.shared.errors import Conflict
from dotmac_isp.shared.events import publish
from dotmac_isp.shared.types import utcnow

S = ItemState


@dataclass
class Move:
    """One movement request, resolved: what it is and where the goods go."""

    kind: MovementKind
    note: str = ""
    work_order_id: uuid.UUID | None = None
    subscription_id: uuid.UUID | None = None
    technician_id: uuid.UUID | None = None
    faulty: bool = False


def _actor(session: Session) -> AuditActor:
    actor: AuditActor = session.info.get("actor", SYSTEM_ACTOR)
    return actor


def _log(session: Session, tenant_id: uuid.UUID, move: Move, model_id: uuid.UUID, *,
         item_id: uuid.UUID | None = None, quantity: int = 1, source: Place | None = None,
         to_location_id: uuid.UUID | None = None) -> Movement:
    actor = _actor(session)
    subscription_id = move.subscription_id
    if source is not None and source.kind == "subscription":
        subscription_id = source.id
    row = Movement(
        tenant_id=tenant_id, kind=move.kind.value, item_model_id=model_id, item_id=item_id,
        quantity=quantity, to_location_id=to_location_id,
        from_location_id=source.id if source and source.kind == "location" else None,
        subscription_id=subscription_id,
        work_order_id=move.work_order_id or (
            source.id if source and source.kind == "work_order" else None),
        technician_id=move.technician_id or (
            source.id if source and source.kind == "technician" else None),
        faulty=move.faulty, note=move.note, actor_type=actor.actor_type.value,
        actor_id=actor.actor_id, actor_label=actor.label, created_at=utcnow())
    session.add(row)
    return row


def _location(session: Session, tenant_id: uuid.UUID, location_id: uuid.UUID,
              field: str) -> StockLocation:
    location = references.referenced(
        session, partial(catalogue.get_location, session, tenant_id), location_id, field,
        "stock location")
    return location


def _model(session: Session, tenant_id: uuid.UUID, model_id: uuid.UUID) -> ItemModel:
    return references.referenced(session, partial(catalogue.get_item_model, session, tenant_id),
                                 model_id, "item_model_id", "item model")


def _locked_items(session: Session, tenant_id: uuid.UUID,
                  item_ids: Sequence[uuid.UUID]) -> list[Item]:
    """The items, locked for this transaction in id order (no deadlock between two movers
    of overlapping sets); an id of no item of the tenant is refused."""
    repo = ItemRepository(session, tenant_id)
    stmt = (repo.select().where(Item.id.in_(list(item_ids))).order_by(Item.id)
            .with_for_update(of=Item).execution_options(populate_existing=True))
    found = {item.id: item for item in session.scalars(stmt)}
    missing = [i for i in item_ids if i not in found]
    if missing:
        raise invalid("item_ids", f"no such item: {missing[0]}")
    return [found[i] for i in item_ids]  # in the order asked, for the messages


def _check_at(session: Session, tenant_id: uuid.UUID, items: list[Item], source: Place,
              states: Sequence[str]) -> None:
    for item in items:
        here = place_of(item)
        if here != source:
            raise NotAtSource(f"item {item.serial} is not at {describe(session, tenant_id, source)}"
                              f": it is {describe(session, tenant_id, here, state=item.state)}",
                              extra={"field": "item_ids"})
        if item.state not in states:
            raise WrongState(f"item {item.serial} is {item.state.replace('_', ' ')}; "
                             f"it cannot be moved this way", extra={"field": "item_ids"})


def _move_items(session: Session, tenant_id: uuid.UUID, item_ids: Sequence[uuid.UUID],
                source: Place, states: Sequence[str], move: Move,
                land: Callable[[Item], None], to_location_id: uuid.UUID | None = None,
                ) -> list[Movement]:
    items = _locked_items(session, tenant_id, item_ids)
    _check_at(session, tenant_id, items, source, states)
    rows = []
    for item in items:
        was_installed = item.subscription_id
        item.location_id = item.subscription_id = item.work_order_id = None
        item.technician_id = None
        land(item)
        rows.append(_log(session, tenant_id, move, item.item_model_id, item_id=item.id,
                         source=source, to_location_id=to_location_id))
        if was_installed and item.subscription_id != was_installed:
            publish(session, CpeUnbound(tenant_id=tenant_id, occurred_at=utcnow(),
                                        subscription_id=was_installed, item_id=item.id))
        if item.subscription_id and item.subscription_id != was_installed:
            publish(session, CpeBound(tenant_id=tenant_id, occurred_at=utcnow(),
                                      subscription_id=item.subscription_id, item_id=item.id,
                                      mac=item.mac))
    session.flush()
    touched = {(p.id, i.item_model_id) for i in items
               for p in (source, Place("location", to_location_id)) if p.kind == "location"
               and p.id is not None}
    stock.recheck(session, tenant_id, touched)
    return rows


def _move_quantity(session: Session, tenant_id: uuid.UUID, data: schemas.Goods,
                   source: Place, move: Move, to_location_id: uuid.UUID | None = None,
                   ) -> list[Movement]:
    assert data.item_model_id is not None and data.quantity is not None
    model = _model(session, tenant_id, data.item_model_id)
    if model.serialized:
        raise invalid("item_ids", f"{model.name} is serialized: name the items by id")
    if source.kind == "location":
        assert source.id is not None
        stock.take(session, tenant_id, _location(session, tenant_id, source.id,
                                                 "from_location_id"), model, data.quantity)
    elif move.kind != MovementKind.RETURN:
        raise invalid("from_location_id", "unserialized stock is counted at locations only: "
                                          "name the location it comes from")
    if to_location_id is not None:
        stock.put(session, tenant_id, to_location_id, model.id, data.quantity)
    row = _log(session, tenant_id, move, model.id, quantity=data.quantity, source=source,
               to_location_id=to_location_id)
    session.flush()
    touched = {(source.id, model.id)} if source.kind == "location" and source.id else set()
    if to_location_id is not None:
        touched.add((to_location_id, model.id))
    stock.recheck(session, tenant_id, touched)
    return [row]


def _goods(session: Session, tenant_id: uuid.UUID, data: schemas.Goods, source: Place,
           states: Sequence[str], move: Move, land: Callable[[Item], None],
           to_location_id: uuid.UUID | None = None) -> list[Movement]:
    if data.item_ids:
        return _move_items(session, tenant_id, data.item_ids, source, states, move, land,
                           to_location_id)
    return _move_quantity(session, tenant_id, data, source, move, to_location_id)


# The six movements -----------------------------------------------------------------------

def receive(session: Session, tenant_id: uuid.UUID, data: schemas.ReceiveIn) -> list[Movement]:
    """New stock arrives at a location: serialized units by serial (and MAC), or a
    quantity of an unserialized model."""
    if data.work_order_id is not None:
        work_orders.for_stock(session, tenant_id, data.work_order_id)
    location = _location(session, tenant_id, data.location_id, "location_id")
    model = _model(session, tenant_id, data.item_model_id)
    move = Move(MovementKind.RECEIVE, data.note, work_order_id=data.work_order_id)
    if not model.serialized:
        if not data.quantity:
            raise invalid("quantity", f"{model.name} is counted, not serialized: give a "
                                      f"quantity")
        stock.put(session, tenant_id, location.id, model.id, data.quantity)
        rows = [_log(session, tenant_id, move, model.id, quantity=data.quantity,
                     to_location_id=location.id)]
    else:
        if not data.units:
            raise invalid("units", f"{model.name} is serialized: give each unit's serial")
        repo = ItemRepository(session, tenant_id)
        rows = []
        for unit in data.units:
            if repo.by_serial(model.id, unit.serial) is not None:
                raise Conflict(f"serial {unit.serial} of {model.name} is already in the "
                               f"inventory", extra={"field": "units"})
            if unit.mac and repo.by_mac(unit.mac) is not None:
                raise Conflict(f"MAC address {unit.mac} already belongs to another item",
                               extra={"field": "units"})
            item = repo.add(Item(item_model_id=model.id, serial=unit.serial, mac=unit.mac,
                                 state=S.IN_STOCK.value, location_id=location.id))
            rows.append(_log(session, tenant_id, move, model.id, item_id=item.id,
                             to_location_id=location.id))
    session.flush()
    stock.recheck(session, tenant_id, {(location.id, model.id)})
    return rows


def transfer(session: Session, tenant_id: uuid.UUID, data: schemas.TransferIn,
             ) -> list[Movement]:
    """From one location to another (faulty items stay faulty)."""
    _location(session, tenant_id, data.from_location_id, "from_location_id")
    target = _location(session, tenant_id, data.to_location_id, "to_location_id")

    def land(item: Item) -> None:
        item.location_id = target.id

    return _goods(session, tenant_id, data, Place("location", data.from_location_id),
                  AT_LOCATION, Move(MovementKind.TRANSFER, data.note), land, target.id)


def issue(session: Session, tenant_id: uuid.UUID, data: schemas.IssueIn) -> list[Movement]:
    """Out of a location to a work order or a technician."""
    if data.work_order_id is not None:
        work_orders.for_stock(session, tenant_id, data.work_order_id)
    _location(session, tenant_id, data.from_location_id, "from_location_id")
    if data.technician_id:
        references.referenced(session, partial(identity_service.get_user, session, tenant_id),
                              data.technician_id, "technician_id", "staff user")

    def land(item: Item) -> None:
        item.state = S.ISSUED.value
        item.work_order_id = data.work_order_id
        item.technician_id = None if data.work_order_id else data.technician_id

    move = Move(MovementKind.ISSUE, data.note, work_order_id=data.work_order_id,
                technician_id=data.technician_id)
    return _goods(session, tenant_id, data, Place("location", data.from_location_id),
                  (S.IN_STOCK.value,), move, land)


def install(session: Session, tenant_id: uuid.UUID, data: schemas.InstallIn,
            ) -> list[Movement]:
    """At a subscription, from a location or from what was issued; an item with a MAC
    becomes the subscription's CPE."""
    sub = references.referenced(session, partial(services.get_subscription, session,
                                                 tenant_id), data.subscription_id,
                                "subscription_id", "subscription")
    if sub.status == "terminated":
        raise invalid("subscription_id", "the subscription is terminated")
    source = Place.of(data)
    if source.kind == "subscription":
        raise invalid("from_subscription_id", "equipment at a subscription is returned "
                                              "first, then installed elsewhere")
    if source.kind == "location":
        _location(session, tenant_id, source.id, "from_location_id")  # type: ignore[arg-type]
    job = data.work_order_id or data.from_work_order_id
    if job is not None:
        work_orders.for_install(session, tenant_id, job, sub.id)
    states = (S.IN_STOCK.value,) if source.kind == "location" else (S.ISSUED.value,)
    now = utcnow()

    def land(item: Item) -> None:
        item.state = S.INSTALLED.value
        item.subscription_id = sub.id
        item.installed_at = now

    move = Move(MovementKind.INSTALL, data.note, work_order_id=data.work_order_id,
                subscription_id=sub.id)
    return _goods(session, tenant_id, data, source, states, move, land)


def return_goods(session: Session, tenant_id: uuid.UUID, data: schemas.ReturnIn,
                 ) -> list[Movement]:
    """Back to a location from a subscription, a work order or a technician, optionally
    marked faulty; a returned CPE is no longer the subscription's."""
    source = Place.of(data)
    if source.kind == "location":
        raise invalid("from_location_id", "stock already at a location moves by transfer")
    if data.faulty and not data.item_ids:
        raise invalid("faulty", "only serialized items are marked faulty; write off "
                                "broken unserialized stock")
    if source.kind == "subscription" and source.id:
        references.referenced(session, partial(services.get_subscription, session, tenant_id),
                              source.id, "from_subscription_id", "subscription")
        if data.work_order_id is not None:
            work_orders.for_take_back(session, tenant_id, data.work_order_id, source.id)
    elif data.work_order_id is not None:  # what was issued comes back whatever the job became
        work_orders.locked(session, tenant_id, data.work_order_id)
    if source.kind == "technician" and source.id:
        references.referenced(session, partial(identity_service.get_user, session, tenant_id),
                              source.id, "from_technician_id", "staff user")
    target = _location(session, tenant_id, data.to_location_id, "to_location_id")
    states = (S.INSTALLED.value,) if source.kind == "subscription" else (S.ISSUED.value,)

    def land(item: Item) -> None:
        item.state = S.FAULTY.value if data.faulty else S.IN_STOCK.value
        item.location_id = target.id
        item.installed_at = None

    move = Move(MovementKind.RETURN, data.note, work_order_id=data.work_order_id,
                faulty=data.faulty)
    return _goods(session, tenant_id, data, source, states, move, land, target.id)


def write_off(session: Session, tenant_id: uuid.UUID, data: schemas.WriteOffIn,
              ) -> list[Movement]:
    """Gone for good (lost, broken beyond repair), from wherever it is."""
    source = Place.of(data)
    states = {"location": AT_LOCATION, "subscription": (S.INSTALLED.value,)}.get(
        source.kind, (S.ISSUED.value,))

    def land(item: Item) -> None:
        item.state = S.WRITTEN_OFF.value
        item.installed_at = None

    return _goods(session, tenant_id, data, source, states,
                  Move(MovementKind.WRITE_OFF, data.note), land)
