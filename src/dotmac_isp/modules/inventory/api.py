"""Inventory JSON API, part one: item models, stock locations, what each location holds,
low-stock thresholds, and a technician's own van."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from dotmac_isp.modules.identity.deps import CurrentPrincipal, DbSession, require
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.identity.principal import Principal
from dotmac_isp.modules.inventory import api_items, catalogue, schemas, stock
from dotmac_isp.modules.inventory.enums import LocationKind
from dotmac_isp.modules.inventory.models import ItemModel, StockLocation
from dotmac_isp.shared.errors import Forbidden
from dotmac_isp.shared.pagination import Page, PageParams, page_params

router = APIRouter(prefix="/inventory", tags=["inventory"])
Paging = Annotated[PageParams, Depends(page_params)]
READ, WRITE = require(Permission.INVENTORY_READ), require(Permission.INVENTORY_WRITE)


def stock_of(session: DbSession, tenant_id: uuid.UUID,
             location: StockLocation) -> schemas.LocationStockOut:
    rows = stock.location_stock(session, tenant_id, location)
    return schemas.LocationStockOut(
        location=schemas.LocationOut.model_validate(location),
        rows=[schemas.StockRowOut(**{**vars(r), "low": r.low}) for r in rows])


# Item models -----------------------------------------------------------------------------

@router.get("/models", response_model=Page[schemas.ItemModelOut])
def list_models(session: DbSession, paging: Paging,
                principal: Principal = READ) -> Page[ItemModel]:
    return catalogue.list_item_models(session, principal.tenant_id, paging)


@router.post("/models", response_model=schemas.ItemModelOut, status_code=201)
def create_model(body: schemas.ItemModelCreate, session: DbSession,
                 principal: Principal = WRITE) -> ItemModel:
    return catalogue.create_item_model(session, principal.tenant_id, body)


@router.get("/models/{item_model_id}", response_model=schemas.ItemModelOut)
def get_model(item_model_id: uuid.UUID, session: DbSession,
              principal: Principal = READ) -> ItemModel:
    return catalogue.get_item_model(session, principal.tenant_id, item_model_id)


@router.patch("/models/{item_model_id}", response_model=schemas.ItemModelOut)
def update_model(item_model_id: uuid.UUID, body: schemas.ItemModelUpdate, session: DbSession,
                 principal: Principal = WRITE) -> ItemModel:
    return catalogue.update_item_model(session, principal.tenant_id, item_model_id, body)


# Locations -------------------------------------------------------------------------------

@router.get("/locations", response_model=Page[schemas.LocationOut])
def list_locations(session: DbSession, paging: Paging, kind: LocationKind | None = None,
                   principal: Principal = READ) -> Page[StockLocation]:
    return catalogue.list_locations(session, principal.tenant_id, paging,
                                    kind=kind.value if kind else None)


@router.post("/locations", response_model=schemas.LocationOut, status_code=201)
def create_location(body: schemas.LocationCreate, session: DbSession,
                    principal: Principal = WRITE) -> StockLocation:
    return catalogue.create_location(session, principal.tenant_id, body)


@router.get("/locations/{location_id}", response_model=schemas.LocationOut)
def get_location(location_id: uuid.UUID, session: DbSession,
                 principal: Principal = READ) -> StockLocation:
    return catalogue.get_location(session, principal.tenant_id, location_id)


@router.patch("/locations/{location_id}", response_model=schemas.LocationOut)
def update_location(location_id: uuid.UUID, body: schemas.LocationUpdate, session: DbSession,
                    principal: Principal = WRITE) -> StockLocation:
    return catalogue.update_location(session, principal.tenant_id, location_id, body)


@router.get("/locations/{location_id}/stock", response_model=schemas.LocationStockOut)
def location_stock(location_id: uuid.UUID, session: DbSession,
                   principal: Principal = READ) -> schemas.LocationStockOut:
    """Per model: units in stock, faulty units, the low-stock minimum and whether it is low."""
    location = catalogue.get_location(session, principal.tenant_id, location_id)
    return stock_of(session, principal.tenant_id, location)


@router.put("/locations/{location_id}/thresholds", response_model=schemas.LocationStockOut)
def set_threshold(location_id: uuid.UUID, body: schemas.ThresholdSet, session: DbSession,
                  principal: Principal = WRITE) -> schemas.LocationStockOut:
    """Set a model's low-stock minimum at the location (minimum null removes it)."""
    catalogue.set_threshold(session, principal.tenant_id, location_id, body)
    location = catalogue.get_location(session, principal.tenant_id, location_id)
    return stock_of(session, principal.tenant_id, location)


@router.get("/my-van", response_model=list[schemas.LocationStockOut])
def my_van(session: DbSession, principal: CurrentPrincipal) -> list[schemas.LocationStockOut]:
    """The stock of the vans the signed-in technician drives (no inventory permission
    needed: a technician sees what is in their own van)."""
    if principal.user_id is None:
        raise Forbidden("this endpoint is for signed-in users, not API keys")
    return [stock_of(session, principal.tenant_id, van)
            for van in catalogue.vans_of(session, principal.tenant_id, principal.user_id)]


router.include_router(api_items.router)
