"""Staff pages of the inventory: stock by location (low stock flagged), a location's stock
and items, an item with its history, and a technician's own van."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dotmac_isp.modules.field import service as field_service
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.identity.deps import CurrentAdmin, DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.inventory import catalogue, queries, schemas, stock, web_forms
from dotmac_isp.modules.inventory.places import describe, place_of
from dotmac_isp.shared.errors import AppError, Forbidden
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.web.forms import FormReader, all_or_nothing
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/admin/inventory", include_in_schema=False)
router.include_router(web_forms.router)
P = Permission
THRESHOLD_LABELS = {"item_model_id": "Model", "minimum": "Low below"}


@router.get("", response_class=HTMLResponse)
def overview(request: Request, session: DbSession, user: CurrentAdmin) -> Response:
    """Every location with what it holds; a technician without inventory:read goes to
    their van."""
    if not request.state.principal.has(P.INVENTORY_READ):
        return RedirectResponse("/admin/inventory/my-van", status_code=303)
    locations = catalogue.list_locations(session, user.tenant_id, PageParams(limit=200)).items
    stocks = {loc.id: stock.location_stock(session, user.tenant_id, loc) for loc in locations}
    low = stock.low_stock(session, user.tenant_id)
    models = {m.id: m for m in catalogue.list_item_models(
        session, user.tenant_id, PageParams(limit=200)).items}
    return render(request, "inventory/overview.html", {
        "current_user": user, "locations": locations, "stocks": stocks, "low": low,
        "names": {loc.id: loc.name for loc in locations}, "models": models})


@router.get("/my-van", response_class=HTMLResponse)
def my_van(request: Request, session: DbSession, user: CurrentAdmin) -> HTMLResponse:
    vans = catalogue.vans_of(session, user.tenant_id, user.id)
    return render(request, "inventory/my_van.html", {
        "current_user": user,
        "vans": [(van, stock.location_stock(session, user.tenant_id, van)) for van in vans]})


def _location_page(request: Request, session: DbSession, user: User, location_id: uuid.UUID,
                   **extra: object) -> HTMLResponse:
    location = catalogue.get_location(session, user.tenant_id, location_id)
    items = queries.list_items(session, user.tenant_id, PageParams(limit=200),
                               location_id=location.id).items
    models = {m.id: m for m in catalogue.list_item_models(
        session, user.tenant_id, PageParams(limit=200)).items}
    owner = (identity_service.get_user(session, user.tenant_id, location.owner_user_id)
             if location.owner_user_id else None)
    context = {"current_user": user, "location": location, "owner": owner,
               "rows": stock.location_stock(session, user.tenant_id, location),
               "items": items, "models": models, "labels": THRESHOLD_LABELS, "errors": [],
               "form": {}, **extra}
    return render(request, "inventory/location.html", context,
                  status_code=422 if context["errors"] else 200)


@router.get("/locations/{location_id}", response_class=HTMLResponse)
def location_page(request: Request, location_id: uuid.UUID, session: DbSession,
                  user: CurrentAdmin) -> HTMLResponse:
    """A location's stock; its own van is open to the technician who drives it."""
    location = catalogue.get_location(session, user.tenant_id, location_id)
    if (not request.state.principal.has(P.INVENTORY_READ)
            and location.owner_user_id != user.id):
        raise Forbidden(f"Your role lacks {P.INVENTORY_READ}.")
    return _location_page(request, session, user, location_id)


@router.post("/locations/{location_id}/thresholds", response_class=HTMLResponse)
async def save_threshold(request: Request, location_id: uuid.UUID, session: DbSession,
                         user: User = page_permission(P.INVENTORY_WRITE)) -> Response:
    form = await verify_csrf(request)
    reader = FormReader(form, THRESHOLD_LABELS)
    model_id = web_forms.parse_uuid(reader, "item_model_id", required=True)
    minimum = reader.whole("minimum")
    if minimum is not None and minimum < 1:
        reader.fail("minimum", "must be 1 or more (leave it empty to remove the threshold)")
    if not reader.errors and model_id is not None:
        data = schemas.ThresholdSet(item_model_id=model_id, minimum=minimum)
        try:
            all_or_nothing(session, lambda: catalogue.set_threshold(
                session, user.tenant_id, location_id, data))
        except AppError as exc:
            reader.errors.refusal(exc, "item_model_id")
    if reader.errors:
        return _location_page(request, session, user, location_id, form=form,
                              errors=reader.errors)
    flash(request, "Low-stock threshold saved." if minimum else "Threshold removed.")
    return RedirectResponse(f"/admin/inventory/locations/{location_id}", status_code=303)


@router.get("/items/{item_id}", response_class=HTMLResponse)
def item_page(request: Request, item_id: uuid.UUID, session: DbSession,
              user: User = page_permission(P.INVENTORY_READ)) -> HTMLResponse:
    item = queries.get_item(session, user.tenant_id, item_id)
    history = queries.item_history(session, user.tenant_id, item.id)
    locations = catalogue.list_locations(session, user.tenant_id, PageParams(limit=200)).items
    return render(request, "inventory/item.html", {
        "current_user": user, "item": item, "history": history,
        "model": catalogue.get_item_model(session, user.tenant_id, item.item_model_id),
        "where": describe(session, user.tenant_id, place_of(item), state=item.state),
        "names": {loc.id: loc.name for loc in locations},
        "work_orders": field_service.numbers_of(
            session, user.tenant_id, {m.work_order_id for m in history if m.work_order_id})})
