"""A reseller's staff see only their reseller's customers and what belongs to them.

Walks every API route (so a route added later is covered) with the tenant-A objects of the
isolation test, their customer first the tenant's own and then another reseller's: each
customer row (customer, address, contact, subscription, invoice, credit note, payment,
ticket, ...) answers 404 exactly as another tenant's would, routes outside a reseller's part of
the tenant answer 403, and no list shows those rows. The voucher batch (and its vouchers) is
walked the same way: first the tenant's own, then sold to the other reseller. The other
reseller's staff, for contrast, read them."""

from __future__ import annotations

import uuid

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.hotspot.models import VoucherBatch
from dotmac_isp.modules.identity import reseller_access
from dotmac_isp.modules.identity.models import Tenant
from tests.modules.resellers.helpers import make_reseller, reseller_staff
from tests.support.factories import StaffUser
from tests.support.routes import PUBLIC, api_operations, fill_path, path_params, request
from tests.support.tenant_objects import ObjectContext, body_for, build_all

# The catalogue a reseller's staff sell from: the tenant's, readable by them.
CATALOGUE = {"plan_id", "addon_id"}
# Ids of rows that belong to the customer; none may show in a reseller's lists.
CUSTOMER_ROWS = ("customer_id", "address_id", "contact_id", "subscription_id", "invoice_id",
                 "note_id", "payment_id", "ticket_id", "change_id", "item_id", "attachment_id",
                 "batch_id", "voucher_id")


def _walk(client: TestClient, app: FastAPI, staff: StaffUser,
          objects: dict[str, str]) -> list[tuple[object, ...]]:
    wrong: list[tuple[object, ...]] = []
    for method, route in api_operations(app):
        key = (method, route.path)
        if key in PUBLIC:
            continue
        params = path_params(route)
        allowed = reseller_access.allows(method, route.path)
        if not params:
            if method == "GET" and allowed:
                text = client.get(route.path, headers=staff.headers).text
                shown = [p for p in CUSTOMER_ROWS if p in objects and objects[p] in text]
                if shown:
                    wrong.append((method, route.path, "lists", shown))
            continue
        if set(params) <= CATALOGUE:
            continue
        response = request(client, method, fill_path(route, objects), staff.headers,
                           body_for(method, route.path))
        expected = 404 if allowed else 403
        if response.status_code != expected:
            wrong.append((method, route.path, response.status_code, response.text[:160]))
    return wrong


def test_reseller_staff_get_404_for_every_row_outside_their_reseller(
        client: TestClient, app: FastAPI, admin: StaffUser, session: Session,
        settings: Settings, tenant: Tenant) -> None:
    objects = build_all(ObjectContext(client, admin, session, settings, tenant))
    mine = make_reseller(session, tenant, "mine")
    other = make_reseller(session, tenant, "other")
    staff = reseller_staff(session, settings, tenant, mine, admin)
    customer_id = uuid.UUID(objects["customer_id"])

    assert _walk(client, app, staff, objects) == []  # the tenant's own customer

    session.execute(update(Customer).where(Customer.id == customer_id)
                    .values(reseller_id=other.id))
    session.execute(update(VoucherBatch).where(VoucherBatch.id == uuid.UUID(objects["batch_id"]))
                    .values(reseller_id=other.id))
    session.flush()
    assert _walk(client, app, staff, objects) == []  # another reseller's customer and batch

    # The other reseller's staff read the same rows: the scope, not a blanket refusal.
    theirs = reseller_staff(session, settings, tenant, other, admin)
    read = 0
    for method, route in api_operations(app):
        params = path_params(route)
        if (method != "GET" or not params or set(params) <= CATALOGUE
                or not reseller_access.allows(method, route.path)):
            continue
        response = client.get(fill_path(route, objects), headers=theirs.headers)
        assert response.status_code == 200, (route.path, response.text[:200])
        read += 1
    assert read >= 25
    listed = client.get("/api/v1/customers", headers=theirs.headers).json()
    assert [c["id"] for c in listed["items"]] == [str(customer_id)]
    batches = client.get("/api/v1/hotspot/batches", headers=theirs.headers).json()
    assert [b["id"] for b in batches["items"]] == [objects["batch_id"]]
    vouchers = client.get("/api/v1/hotspot/vouchers", headers=theirs.headers).json()
    assert objects["voucher_id"] in [v["id"] for v in vouchers["items"]]
    assert {v["batch_id"] for v in vouchers["items"]} == {objects["batch_id"]}
