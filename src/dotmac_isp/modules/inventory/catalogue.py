"""Item models, stock locations and low-stock thresholds. Services flush; callers commit."""

from __future__ import annotations

import uuid
from functools import partial

from sqlalchemy.orm import Session

from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.inventory import schemas, stock
from dotmac_isp.modules.inventory.enums import LocationKind
from dotmac_isp.modules.inventory.errors import invalid
from dotmac_isp.modules.inventory.models import ItemModel, StockLocation, StockThreshold
from dotmac_isp.modules.inventory.repository import (
    ItemModelRepository,
    LocationRepository,
    ThresholdRepository,
)
from dotmac_isp.shared import references
from dotmac_isp.shared.errors import Conflict
from dotmac_isp.shared.pagination import Page, PageParams

# Item models -----------------------------------------------------------------------------


def create_item_model(session: Session, tenant_id: uuid.UUID,
                      data: schemas.ItemModelCreate) -> ItemModel:
    """A new model of equipment; vendor and model together are unique."""
    repo = ItemModelRepository(session, tenant_id)
    if repo.by_name(data.vendor, data.model) is not None:
        raise Conflict(f"{data.vendor} {data.model} is already an item model",
                       extra={"field": "model"})
    fields = data.model_dump()
    fields["kind"] = data.kind.value
    return repo.add(ItemModel(**fields))


def get_item_model(session: Session, tenant_id: uuid.UUID, model_id: uuid.UUID) -> ItemModel:
    return ItemModelRepository(session, tenant_id).get(model_id)


def list_item_models(session: Session, tenant_id: uuid.UUID,
                     params: PageParams) -> Page[ItemModel]:
    repo = ItemModelRepository(session, tenant_id)
    return repo.list(params, repo.select().order_by(ItemModel.vendor, ItemModel.model))


def update_item_model(session: Session, tenant_id: uuid.UUID, model_id: uuid.UUID,
                      data: schemas.ItemModelUpdate) -> ItemModel:
    repo = ItemModelRepository(session, tenant_id)
    item_model = repo.get(model_id)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    vendor = changes.get("vendor", item_model.vendor)
    model = changes.get("model", item_model.model)
    same = repo.by_name(vendor, model)
    if same is not None and same.id != item_model.id:
        raise Conflict(f"{vendor} {model} is already an item model", extra={"field": "model"})
    for key, value in changes.items():
        setattr(item_model, key, value.value if key == "kind" else value)
    session.flush()
    return item_model


# Locations -------------------------------------------------------------------------------

def _owner(session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID | None) -> None:
    references.optional(session, partial(identity_service.get_user, session, tenant_id),
                        user_id, "owner_user_id", "staff user")


def create_location(session: Session, tenant_id: uuid.UUID,
                    data: schemas.LocationCreate) -> StockLocation:
    """A warehouse, or a van driven by a staff user."""
    repo = LocationRepository(session, tenant_id)
    if repo.by_name(data.name) is not None:
        raise Conflict(f"a location named {data.name!r} already exists", extra={"field": "name"})
    _owner(session, tenant_id, data.owner_user_id)
    fields = data.model_dump()
    fields["kind"] = data.kind.value
    return repo.add(StockLocation(**fields))


def get_location(session: Session, tenant_id: uuid.UUID,
                 location_id: uuid.UUID) -> StockLocation:
    return LocationRepository(session, tenant_id).get(location_id)


def list_locations(session: Session, tenant_id: uuid.UUID, params: PageParams, *,
                   kind: str | None = None, owner_user_id: uuid.UUID | None = None,
                   ) -> Page[StockLocation]:
    repo = LocationRepository(session, tenant_id)
    stmt = repo.select().order_by(StockLocation.kind.desc(), StockLocation.name)
    if kind:
        stmt = stmt.where(StockLocation.kind == kind)
    if owner_user_id:
        stmt = stmt.where(StockLocation.owner_user_id == owner_user_id)
    return repo.list(params, stmt)


def update_location(session: Session, tenant_id: uuid.UUID, location_id: uuid.UUID,
                    data: schemas.LocationUpdate) -> StockLocation:
    repo = LocationRepository(session, tenant_id)
    location = repo.get(location_id)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("name") and changes["name"] != location.name and repo.by_name(changes["name"]):
        raise Conflict(f"a location named {changes['name']!r} already exists",
                       extra={"field": "name"})
    if "owner_user_id" in changes:
        if changes["owner_user_id"] is None and location.kind == LocationKind.VAN:
            raise invalid("owner_user_id", "a van needs the technician who drives it")
        _owner(session, tenant_id, changes["owner_user_id"])
    for key, value in changes.items():
        if value is not None or key == "owner_user_id":
            setattr(location, key, value)
    session.flush()
    return location


def vans_of(session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID) -> list[StockLocation]:
    """The vans a staff user drives."""
    repo = LocationRepository(session, tenant_id)
    return list(session.scalars(repo.select().where(
        StockLocation.owner_user_id == user_id, StockLocation.kind == LocationKind.VAN.value)
        .order_by(StockLocation.name)))


# Thresholds ------------------------------------------------------------------------------

def set_threshold(session: Session, tenant_id: uuid.UUID, location_id: uuid.UUID,
                  data: schemas.ThresholdSet) -> StockThreshold | None:
    """Set (or with minimum None, remove) the low-stock threshold of a model at a location;
    the low flag is worked out at once."""
    location = get_location(session, tenant_id, location_id)
    references.referenced(session, partial(get_item_model, session, tenant_id),
                          data.item_model_id, "item_model_id", "item model")
    repo = ThresholdRepository(session, tenant_id)
    found = session.scalars(repo.select().where(
        StockThreshold.location_id == location.id,
        StockThreshold.item_model_id == data.item_model_id)).one_or_none()
    if data.minimum is None:
        if found is not None:
            repo.delete(found)
        return None
    if found is None:
        found = repo.add(StockThreshold(location_id=location.id,
                                        item_model_id=data.item_model_id,
                                        minimum=data.minimum))
    else:
        found.minimum = data.minimum
    stock.recheck(session, tenant_id, {(location.id, data.item_model_id)})
    return found
