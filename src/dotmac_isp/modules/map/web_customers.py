"""The customer page's map actions: place a service address by hand (latitude and longitude,
both or neither) or with the tenant's geocoder."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, model_validator

from dotmac_isp.modules.customers import locations as customer_locations
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.identity.deps import DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.map import geocode, schemas
from dotmac_isp.shared.errors import AppError, NotFound
from dotmac_isp.shared.geo import both_or_neither
from dotmac_isp.web.forms import FormErrors, validate_form
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/admin/customers", include_in_schema=False)
LABELS = {"latitude": "Latitude", "longitude": "Longitude"}


class CoordinatesIn(BaseModel):
    latitude: schemas.Latitude | None = None
    longitude: schemas.Longitude | None = None

    @model_validator(mode="after")
    def _pair(self) -> CoordinatesIn:
        both_or_neither(self.latitude, self.longitude)
        return self


def _address(session: DbSession, user: User, customer_id: uuid.UUID,
             address_id: uuid.UUID) -> Any:
    return customers_service.get_address(session, user.tenant_id, customer_id, address_id)


def _page(request: Request, user: User, customer: Any, address: Any, form: dict[str, Any],
          errors: FormErrors | None = None) -> HTMLResponse:
    return render(request, "map/coordinates.html", {
        "current_user": user, "customer": customer, "address": address, "form": form,
        "labels": LABELS, "errors": errors or []}, status_code=422 if errors else 200)


@router.get("/{customer_id}/addresses/{address_id}/coordinates", response_class=HTMLResponse)
def coordinates_page(request: Request, customer_id: uuid.UUID, address_id: uuid.UUID,
                     session: DbSession,
                     user: User = page_permission(Permission.CUSTOMERS_WRITE)) -> HTMLResponse:
    address = _address(session, user, customer_id, address_id)
    customer = customers_service.get_customer(session, user.tenant_id, customer_id)
    return _page(request, user, customer, address, {
        "latitude": address.latitude, "longitude": address.longitude})


@router.post("/{customer_id}/addresses/{address_id}/coordinates", response_class=HTMLResponse)
async def save_coordinates(request: Request, customer_id: uuid.UUID, address_id: uuid.UUID,
                           session: DbSession,
                           user: User = page_permission(Permission.CUSTOMERS_WRITE)) -> Response:
    form = await verify_csrf(request)
    address = _address(session, user, customer_id, address_id)
    shown = {k: str(form.get(k, "")).strip() for k in LABELS}
    valid, errors = validate_form(CoordinatesIn, {k: v or None for k, v in shown.items()},
                                  LABELS)
    if valid is None:
        customer = customers_service.get_customer(session, user.tenant_id, customer_id)
        return _page(request, user, customer, address, shown, errors)
    customer_locations.set_coordinates(session, user.tenant_id, address.id, valid.latitude,
                                       valid.longitude)
    flash(request, "Coordinates saved." if valid.latitude is not None
          else "Coordinates removed.")
    return RedirectResponse(f"/admin/customers/{customer_id}", status_code=303)


@router.post("/{customer_id}/geocode")
async def geocode_customer(request: Request, customer_id: uuid.UUID, session: DbSession,
                           user: User = page_permission(Permission.MAP_WRITE)) -> Response:
    await verify_csrf(request)
    try:
        outcomes = geocode.geocode_customer(session, user.tenant_id, customer_id)
    except NotFound:
        raise
    except AppError as exc:
        flash(request, exc.detail)
        return RedirectResponse(f"/admin/customers/{customer_id}", status_code=303)
    if not outcomes:
        flash(request, "Every service address already has coordinates.")
    for o in outcomes:
        if o.status == geocode.FOUND:
            flash(request, f"Geocoded {o.query}: {o.latitude}, {o.longitude}.")
        elif o.status == geocode.NOT_FOUND:
            flash(request, f"The geocoder found no place for {o.query}.")
        else:
            flash(request, f"Geocoding {o.query} failed: {o.error}")
    return RedirectResponse(f"/admin/customers/{customer_id}", status_code=303)
