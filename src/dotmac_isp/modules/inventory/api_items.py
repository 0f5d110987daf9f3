"""Inventory JSON API, part two: serialized items (paged by key), an item's history, the
movement log, the six movements, and the CPE installed at a subscription."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from dotmac_isp.modules.field import service as field_service
from dotmac_isp.modules.identity.deps import DbSession, require
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.identity.principal import Principal
from dotmac_isp.modules.inventory import movements, queries, schemas
from dotmac_isp.modules.inventory.enums import ItemState, MovementKind
from dotmac_isp.modules.inventory.models import Item, Movement
from dotmac_isp.modules.services import service as services
from dotmac_isp.shared.pagination import Page, PageParams, page_params

router = APIRouter()
Paging = Annotated[PageParams, Depends(page_params)]
READ, WRITE = require(Permission.INVENTORY_READ), require(Permission.INVENTORY_WRITE)
TEXT = r"^[^\x00-\x1f]*$"


@router.get("/items", response_model=Page[schemas.ItemOut])
def list_items(session: DbSession, paging: Paging, state: ItemState | None = None,
               location_id: uuid.UUID | None = None, item_model_id: uuid.UUID | None = None,
               subscription_id: uuid.UUID | None = None,
               q: str | None = Query(None, max_length=100, pattern=TEXT,
                                     description="a serial, or a MAC in any written form"),
               principal: Principal = READ) -> Page[Item]:
    """Items newest first, paged by key (has_more and cursors, no total)."""
    return queries.list_items(session, principal.tenant_id, paging,
                              state=state.value if state else None, location_id=location_id,
                              item_model_id=item_model_id, subscription_id=subscription_id,
                              query=q)


@router.get("/items/{inventory_item_id}", response_model=schemas.ItemOut)
def get_item(inventory_item_id: uuid.UUID, session: DbSession,
             principal: Principal = READ) -> Item:
    return queries.get_item(session, principal.tenant_id, inventory_item_id)


@router.patch("/items/{inventory_item_id}", response_model=schemas.ItemOut)
def update_item(inventory_item_id: uuid.UUID, body: schemas.ItemUpdate, session: DbSession,
                principal: Principal = WRITE) -> Item:
    """Notes only: where an item is changes by movements."""
    return queries.update_item_notes(session, principal.tenant_id, inventory_item_id,
                                     body.notes)


@router.get("/items/{inventory_item_id}/history", response_model=list[schemas.MovementOut])
def item_history(inventory_item_id: uuid.UUID, session: DbSession,
                 principal: Principal = READ) -> list[schemas.MovementOut]:
    """Every movement of the item, oldest first, with the numbers of the work orders."""
    history = queries.item_history(session, principal.tenant_id, inventory_item_id)
    numbers = field_service.numbers_of(session, principal.tenant_id,
                                       {m.work_order_id for m in history if m.work_order_id})
    return [schemas.MovementOut.model_validate(m).model_copy(update={
        "work_order_number": numbers.get(m.work_order_id) if m.work_order_id else None})
        for m in history]


@router.get("/movements", response_model=Page[schemas.MovementOut])
def list_movements(session: DbSession, paging: Paging, location_id: uuid.UUID | None = None,
                   item_id: uuid.UUID | None = None, subscription_id: uuid.UUID | None = None,
                   work_order_id: uuid.UUID | None = None, kind: MovementKind | None = None,
                   principal: Principal = READ) -> Page[Movement]:
    """The movement log newest first, paged by key."""
    return queries.list_movements(session, principal.tenant_id, paging,
                                  location_id=location_id, item_id=item_id,
                                  subscription_id=subscription_id, work_order_id=work_order_id,
                                  kind=kind.value if kind else None)


@router.get("/movements/{movement_id}", response_model=schemas.MovementOut)
def get_movement(movement_id: uuid.UUID, session: DbSession,
                 principal: Principal = READ) -> Movement:
    return queries.get_movement(session, principal.tenant_id, movement_id)


@router.post("/movements/receive", response_model=list[schemas.MovementOut], status_code=201)
def receive(body: schemas.ReceiveIn, session: DbSession,
            principal: Principal = WRITE) -> list[Movement]:
    """New stock at a location: serialized units (serial, MAC) or a quantity."""
    return movements.receive(session, principal.tenant_id, body)


@router.post("/movements/transfer", response_model=list[schemas.MovementOut], status_code=201)
def transfer(body: schemas.TransferIn, session: DbSession,
             principal: Principal = WRITE) -> list[Movement]:
    """From one location to another."""
    return movements.transfer(session, principal.tenant_id, body)


@router.post("/movements/issue", response_model=list[schemas.MovementOut], status_code=201)
def issue(body: schemas.IssueIn, session: DbSession,
          principal: Principal = WRITE) -> list[Movement]:
    """Out of a location to a work order or a technician."""
    return movements.issue(session, principal.tenant_id, body)


@router.post("/movements/install", response_model=list[schemas.MovementOut], status_code=201)
def install(body: schemas.InstallIn, session: DbSession,
            principal: Principal = WRITE) -> list[Movement]:
    """At a subscription; an item with a MAC becomes its CPE."""
    return movements.install(session, principal.tenant_id, body)


@router.post("/movements/return", response_model=list[schemas.MovementOut], status_code=201)
def return_goods(body: schemas.ReturnIn, session: DbSession,
                 principal: Principal = WRITE) -> list[Movement]:
    """Back to a location, optionally marked faulty."""
    return movements.return_goods(session, principal.tenant_id, body)


@router.post("/movements/write-off", response_model=list[schemas.MovementOut], status_code=201)
def write_off(body: schemas.WriteOffIn, session: DbSession,
              principal: Principal = WRITE) -> list[Movement]:
    """Gone for good."""
    return movements.write_off(session, principal.tenant_id, body)


@router.get("/subscriptions/{subscription_id}/cpe", response_model=list[schemas.CpeOut])
def subscription_cpe(subscription_id: uuid.UUID, session: DbSession,
                     principal: Principal = READ) -> list[schemas.CpeOut]:
    """The equipment installed at the subscription (model, serial, MAC)."""
    sub = services.get_subscription(session, principal.tenant_id, subscription_id)
    return [schemas.CpeOut(item_id=c.item_id, vendor=c.vendor, model=c.model, serial=c.serial,
                           mac=c.mac, installed_at=c.installed_at)
            for c in queries.cpe_of_subscription(session, principal.tenant_id, sub.id)]
