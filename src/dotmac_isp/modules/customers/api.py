"""Customers JSON API."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse

from dotmac_isp.modules.customers import csv_io, portal, schemas, search, service
from dotmac_isp.modules.customers.enums import CustomerKind, CustomerStatus
from dotmac_isp.modules.customers.models import Address, Contact, Customer, PortalAccount
from dotmac_isp.modules.customers.repository import DIRECT
from dotmac_isp.modules.identity.deps import AppSettings, DbSession, get_database, require
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.identity.principal import Principal
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.errors import ValidationFailed
from dotmac_isp.shared.pagination import Page, PageParams, page_params

router = APIRouter(prefix="/customers", tags=["customers"])
Paging = Annotated[PageParams, Depends(page_params)]
P = Permission
MAX_IMPORT_BYTES = 20 * 1024 * 1024


@router.get("", response_model=Page[schemas.CustomerSummary])
def list_customers(session: DbSession, paging: Paging,
                   q: str | None = Query(None, max_length=200,
                                         description="name, number, email, phone, address, "
                                                     "RADIUS username or IP address"),
                   status: CustomerStatus | None = None, kind: CustomerKind | None = None,
                   tag: str | None = Query(None, max_length=40),
                   reseller: str | None = Query(None, max_length=36,
                                                description="a reseller's id, or 'none' for "
                                                            "the tenant's own customers"),
                   principal: Principal = require(P.CUSTOMERS_READ)) -> Page[Customer]:
    return search.find_customers(session, principal.tenant_id, paging, query=q,
                                 status=status, kind=kind, tag=tag,
                                 reseller=reseller_filter(reseller))


def reseller_filter(value: str | None) -> uuid.UUID | str | None:
    """The reseller filter as typed: a reseller's id, 'none', or nothing."""
    if not value or value == DIRECT:
        return value or None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValidationFailed("reseller: give a reseller's id or 'none'",
                               extra={"field": "reseller"}) from None


@router.post("", response_model=schemas.CustomerOut, status_code=201)
def create_customer(body: schemas.CustomerCreate, session: DbSession,
                    principal: Principal = require(P.CUSTOMERS_WRITE)) -> Customer:
    return service.create_customer(session, principal.tenant_id, body)


@router.post("/import", response_model=schemas.ImportResult)
async def import_customers(request: Request, session: DbSession, dry_run: bool = False,
                           principal: Principal = require(P.CUSTOMERS_WRITE),
                           ) -> schemas.ImportResult:
    """Import a CSV (the request body, text/csv). Good rows go in; bad rows are reported with
    their line numbers and store nothing."""
    raw = await request.body()
    if len(raw) > MAX_IMPORT_BYTES:
        raise ValidationFailed(f"the file is larger than {MAX_IMPORT_BYTES // 1024 // 1024} MB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed("the file is not UTF-8 text") from exc
    return csv_io.import_customers(session, principal.tenant_id, text, dry_run=dry_run)


@router.get("/export", response_class=StreamingResponse)
def export_customers(session: DbSession, db: Annotated[Database, Depends(get_database)],
                     q: str | None = Query(None, max_length=200),
                     status: CustomerStatus | None = None, kind: CustomerKind | None = None,
                     principal: Principal = require(P.CUSTOMERS_READ)) -> StreamingResponse:
    """All matching customers as CSV, in the columns import reads, streamed as it is read."""
    also_ids = search.related_customer_ids(session, principal.tenant_id, q)
    rows = csv_io.stream_export(db, principal.tenant_id, query=q, status=status, kind=kind,
                                also_ids=also_ids)
    return StreamingResponse(rows, media_type="text/csv",
                             headers={"Content-Disposition":
                                      'attachment; filename="customers.csv"'})


@router.get("/{customer_id}", response_model=schemas.CustomerOut)
def get_customer(customer_id: uuid.UUID, session: DbSession,
                 principal: Principal = require(P.CUSTOMERS_READ)) -> Customer:
    return service.get_customer(session, principal.tenant_id, customer_id)


@router.patch("/{customer_id}", response_model=schemas.CustomerOut)
def update_customer(customer_id: uuid.UUID, body: schemas.CustomerUpdate, session: DbSession,
                    principal: Principal = require(P.CUSTOMERS_WRITE)) -> Customer:
    return service.update_customer(session, principal.tenant_id, customer_id, body)


@router.delete("/{customer_id}", status_code=204)
def delete_customer(customer_id: uuid.UUID, session: DbSession,
                    principal: Principal = require(P.CUSTOMERS_WRITE)) -> Response:
    """Delete a lead. Customers who ever bought something are closed instead."""
    service.delete_customer(session, principal.tenant_id, customer_id)
    return Response(status_code=204)


@router.post("/{customer_id}/status", response_model=schemas.CustomerOut)
def change_customer_status(customer_id: uuid.UUID, body: schemas.CustomerStatusChange,
                           session: DbSession,
                           principal: Principal = require(P.CUSTOMERS_WRITE)) -> Customer:
    """lead -> active <-> suspended -> closed; a closed customer can be reopened."""
    return service.change_status(session, principal.tenant_id, customer_id, body.status,
                                 body.reason)


@router.post("/{customer_id}/addresses", response_model=schemas.AddressOut, status_code=201)
def add_address(customer_id: uuid.UUID, body: schemas.AddressIn, session: DbSession,
                principal: Principal = require(P.CUSTOMERS_WRITE)) -> Address:
    return service.add_address(session, principal.tenant_id, customer_id, body)


@router.put("/{customer_id}/addresses/{address_id}", response_model=schemas.AddressOut)
def update_address(customer_id: uuid.UUID, address_id: uuid.UUID, body: schemas.AddressIn,
                   session: DbSession,
                   principal: Principal = require(P.CUSTOMERS_WRITE)) -> Address:
    return service.update_address(session, principal.tenant_id, customer_id, address_id, body)


@router.delete("/{customer_id}/addresses/{address_id}", status_code=204)
def delete_address(customer_id: uuid.UUID, address_id: uuid.UUID, session: DbSession,
                   principal: Principal = require(P.CUSTOMERS_WRITE)) -> Response:
    service.delete_address(session, principal.tenant_id, customer_id, address_id)
    return Response(status_code=204)


@router.post("/{customer_id}/contacts", response_model=schemas.ContactOut, status_code=201)
def add_contact(customer_id: uuid.UUID, body: schemas.ContactIn, session: DbSession,
                principal: Principal = require(P.CUSTOMERS_WRITE)) -> Contact:
    return service.add_contact(session, principal.tenant_id, customer_id, body)


@router.put("/{customer_id}/contacts/{contact_id}", response_model=schemas.ContactOut)
def update_contact(customer_id: uuid.UUID, contact_id: uuid.UUID, body: schemas.ContactIn,
                   session: DbSession,
                   principal: Principal = require(P.CUSTOMERS_WRITE)) -> Contact:
    return service.update_contact(session, principal.tenant_id, customer_id, contact_id, body)


@router.delete("/{customer_id}/contacts/{contact_id}", status_code=204)
def delete_contact(customer_id: uuid.UUID, contact_id: uuid.UUID, session: DbSession,
                   principal: Principal = require(P.CUSTOMERS_WRITE)) -> Response:
    service.delete_contact(session, principal.tenant_id, customer_id, contact_id)
    return Response(status_code=204)


@router.post("/{customer_id}/portal-account", response_model=schemas.PortalAccountCreated,
             status_code=201)
def create_portal_account(customer_id: uuid.UUID, body: schemas.PortalAccountCreate,
                          session: DbSession, settings: AppSettings,
                          principal: Principal = require(P.CUSTOMERS_WRITE),
                          ) -> schemas.PortalAccountCreated:
    """Give the customer a /portal login. A generated password is shown only here."""
    account, generated = portal.create_account(session, settings, principal.tenant_id,
                                               customer_id, body)
    out = schemas.PortalAccountOut.model_validate(account).model_dump()
    return schemas.PortalAccountCreated(**out, password=generated)


@router.get("/{customer_id}/portal-account", response_model=schemas.PortalAccountOut)
def get_portal_account(customer_id: uuid.UUID, session: DbSession,
                       principal: Principal = require(P.CUSTOMERS_READ)) -> PortalAccount:
    return portal.get_account(session, principal.tenant_id, customer_id)


@router.post("/{customer_id}/portal-account/enable", response_model=schemas.PortalAccountOut)
def enable_portal_account(customer_id: uuid.UUID, session: DbSession,
                          principal: Principal = require(P.CUSTOMERS_WRITE)) -> PortalAccount:
    """Enable the login (also clears a lockout)."""
    return portal.set_active(session, principal.tenant_id, customer_id, True)


@router.post("/{customer_id}/portal-account/disable", response_model=schemas.PortalAccountOut)
def disable_portal_account(customer_id: uuid.UUID, session: DbSession,
                           principal: Principal = require(P.CUSTOMERS_WRITE)) -> PortalAccount:
    return portal.set_active(session, principal.tenant_id, customer_id, False)
