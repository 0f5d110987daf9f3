"""Voucher batches sold to a reseller at the wholesale price, on both databases: the price
checked on the API and the page, the sale recorded once, refused with a clear message when
it cannot be, and the reseller's staff reading only their own batches (cards PDF and CSV
included), read-only."""

from __future__ import annotations

import uuid
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.hotspot import service
from dotmac_isp.modules.hotspot.models import Voucher
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.resellers.models import Reseller
from tests.modules.hotspot.support import make_batch, make_voucher_plan
from tests.modules.resellers.helpers import make_reseller, reseller_staff
from tests.support.factories import StaffUser
from tests.web.form_support import assert_beside
from tests.web.test_admin_pages import csrf_of, sign_in

D = Decimal


def _sell(client: TestClient, admin: StaffUser, batch_id: object,
          reseller: Reseller | uuid.UUID) -> tuple[int, dict[str, object]]:
    rid = reseller.id if isinstance(reseller, Reseller) else reseller
    response = client.post(f"/api/v1/hotspot/batches/{batch_id}/sell-to-reseller",
                           json={"reseller_id": str(rid)}, headers=admin.headers)
    return response.status_code, response.json()


def test_the_wholesale_price_may_not_exceed_the_retail_price(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    above = client.post("/api/v1/hotspot/plans", headers=admin.headers, json={
        "name": "Day", "price": "2.50", "wholesale_price": "2.60",
        "time_allowance_seconds": 3600})
    assert above.status_code == 422
    assert "may not exceed the retail amount (2.50); 2.60 was given" in above.text
    made = client.post("/api/v1/hotspot/plans", headers=admin.headers, json={
        "name": "Day", "price": "2.50", "wholesale_price": "1.20",
        "time_allowance_seconds": 3600})
    assert made.status_code == 201 and made.json()["wholesale_price"] == "1.20"
    plan_id = made.json()["id"]
    lowered = client.patch(f"/api/v1/hotspot/plans/{plan_id}", headers=admin.headers,
                           json={"price": "1.00"})
    assert lowered.status_code == 422
    assert lowered.json()["detail"] == ("wholesale_price: may not exceed the retail amount "
                                        "(1.00); 1.20 was given")
    both = client.patch(f"/api/v1/hotspot/plans/{plan_id}", headers=admin.headers,
                        json={"price": "1.00", "wholesale_price": "0.90"})
    assert both.status_code == 200 and both.json()["wholesale_price"] == "0.90"
    cleared = client.patch(f"/api/v1/hotspot/plans/{plan_id}", headers=admin.headers,
                           json={"wholesale_price": None})
    assert cleared.status_code == 200 and cleared.json()["wholesale_price"] is None

    sign_in(client, admin.user.email, admin.password)
    page = client.get("/admin/hotspot")
    bad = client.post("/admin/hotspot/plans", data={
        "csrf_token": csrf_of(page.text), "name": "Hour", "price": "1.50",
        "wholesale_price": "1.80", "time_allowance_seconds": "60", "devices": "1"})
    assert assert_beside(bad, {"wholesale_price": "Wholesale price"})["wholesale_price"] == [
        "Wholesale price: may not exceed the retail amount (1.50); 1.80 was given"]


def test_a_batch_is_sold_once_at_the_wholesale_price_and_refusals_say_why(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    reseller = make_reseller(session, tenant, "wavenet")
    other = make_reseller(session, tenant, "othernet")
    plan = make_voucher_plan(session, tenant, price=D("2.50"), wholesale_price=D("1.20"))
    batch = make_batch(session, tenant, plan, 5, name="B0001")

    status, body = _sell(client, admin, batch.id, reseller)
    assert status == 200, body
    assert (body["reseller_id"], body["unit_price"], body["quantity"], body["total"],
            body["currency"], body["sold_by"]) == (
        str(reseller.id), "1.20", 5, "6.00", "USD", admin.user.email)
    assert body["sold_at"] is not None
    assert {v.sold_to for v in service.batch_vouchers(session, tenant.id, batch.id)} == {
        "Wavenet Networks"}

    status, body = _sell(client, admin, batch.id, other)  # twice, to anyone: refused
    assert status == 409
    assert body["detail"].startswith("batch B0001 was already sold to Wavenet Networks on ")

    used = make_batch(session, tenant, plan, 3, name="Used")
    [first, *_] = service.batch_vouchers(session, tenant.id, used.id)
    session.execute(update(Voucher).where(Voucher.id == first.id).values(state="active"))
    status, body = _sell(client, admin, used.id, reseller)
    assert (status, body["detail"]) == (422, "batch Used has 1 voucher(s) already used or "
                                             "active; only a batch of unused vouchers is sold "
                                             "to a reseller")

    singly = make_batch(session, tenant, plan, 3, name="Singly")
    [one, *_] = service.batch_vouchers(session, tenant.id, singly.id)
    service.sell_voucher(session, tenant.id, one.id, "a walk-in")
    status, body = _sell(client, admin, singly.id, reseller)
    assert status == 422 and "1 voucher(s) sold on their own already" in body["detail"]

    retail_only = make_batch(session, tenant, make_voucher_plan(session, tenant), 2,
                             name="Retail")
    status, body = _sell(client, admin, retail_only.id, reseller)
    assert status == 422 and "has no wholesale price; set one first" in body["detail"]

    fresh = make_batch(session, tenant, plan, 2, name="Fresh")
    status, body = _sell(client, admin, fresh.id, uuid.uuid4())
    assert (status, body["detail"]) == (422, "reseller_id: no such reseller")
    assert service.get_batch(session, tenant.id, fresh.id).reseller_id is None  # nothing kept

    # generated and sold in one go; refused whole when the plan has no wholesale price
    made = client.post("/api/v1/hotspot/batches", headers=admin.headers, json={
        "plan_id": str(plan.id), "count": 4, "name": "Direct", "reseller_id": str(other.id)})
    assert made.status_code == 201
    assert (made.json()["reseller_id"], made.json()["total"]) == (str(other.id), "4.80")
    refused = client.post("/api/v1/hotspot/batches", headers=admin.headers, json={
        "plan_id": str(retail_only.plan_id), "count": 4, "reseller_id": str(other.id)})
    assert refused.status_code == 422 and "no wholesale price" in refused.text


def test_the_batch_page_sells_to_a_reseller_with_errors_beside_the_field(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    reseller = make_reseller(session, tenant, "wavenet")
    plan = make_voucher_plan(session, tenant, price=D("2.50"))  # no wholesale price yet
    batch = make_batch(session, tenant, plan, 3, name="Lobby")
    sign_in(client, admin.user.email, admin.password)
    page = client.get(f"/admin/hotspot/batches/{batch.id}")
    assert "the plan has no wholesale price yet" in page.text
    refused = client.post(f"/admin/hotspot/batches/{batch.id}/sell-to-reseller", data={
        "csrf_token": csrf_of(page.text), "reseller_id": str(reseller.id)})
    assert_beside(refused, {"reseller_id": "Reseller"})
    assert "has no wholesale price; set one first" in refused.text
    assert client.patch(f"/api/v1/hotspot/plans/{plan.id}", headers=admin.headers,
                        json={"wholesale_price": "2.00"}).status_code == 200
    sold = client.post(f"/admin/hotspot/batches/{batch.id}/sell-to-reseller", data={
        "csrf_token": csrf_of(page.text), "reseller_id": str(reseller.id)},
        follow_redirects=False)
    assert sold.status_code == 303
    shown = client.get(f"/admin/hotspot/batches/{batch.id}").text
    assert "Batch Lobby sold: 3 vouchers for 6.00 USD." in shown
    assert "Sold to <strong>Wavenet Networks</strong>: 3 x 2.00 = 6.00 USD" in shown
    assert 'data-testid="sell-to-reseller"' not in shown


def test_reseller_staff_read_only_their_batches_with_cards_and_csv(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant) -> None:
    mine = make_reseller(session, tenant, "wavenet")
    other = make_reseller(session, tenant, "othernet")
    plan = make_voucher_plan(session, tenant, price=D("2.50"), wholesale_price=D("1.20"))
    bought = make_batch(session, tenant, plan, 3, name="Ours", reseller_id=mine.id)
    theirs = make_batch(session, tenant, plan, 2, name="Theirs", reseller_id=other.id)
    own = make_batch(session, tenant, plan, 2, name="Tenant's own")
    staff = reseller_staff(session, settings, tenant, mine, admin)
    h = staff.headers

    listed = client.get("/api/v1/hotspot/batches", headers=h).json()
    assert [b["name"] for b in listed["items"]] == ["Ours"]
    codes = {v.code for v in service.batch_vouchers(session, tenant.id, bought.id)}
    vouchers = client.get("/api/v1/hotspot/vouchers", headers=h).json()["items"]
    assert {v["code"] for v in vouchers} == codes
    assert client.get(f"/api/v1/hotspot/batches/{bought.id}", headers=h).status_code == 200
    pdf = client.get(f"/api/v1/hotspot/batches/{bought.id}/cards.pdf", headers=h)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    csv = client.get(f"/api/v1/hotspot/batches/{bought.id}/vouchers.csv", headers=h).text
    assert set(line.split(",")[0] for line in csv.splitlines()[1:]) == codes
    for batch in (theirs, own):
        for tail in ("", "/cards.pdf", "/vouchers.csv"):
            got = client.get(f"/api/v1/hotspot/batches/{batch.id}{tail}", headers=h)
            assert got.status_code == 404, (batch.name, tail)
        voucher = service.batch_vouchers(session, tenant.id, batch.id)[0]
        assert client.get(f"/api/v1/hotspot/vouchers/{voucher.id}",
                          headers=h).status_code == 404
    # read-only: whatever their role holds, selling, revoking and plans stay with the tenant
    voucher = service.batch_vouchers(session, tenant.id, bought.id)[0]
    assert client.post(f"/api/v1/hotspot/vouchers/{voucher.id}/revoke", headers=h,
                       json={}).status_code == 403
    assert client.post(f"/api/v1/hotspot/batches/{own.id}/sell-to-reseller", headers=h,
                       json={"reseller_id": str(mine.id)}).status_code == 403
    assert client.get("/api/v1/hotspot/plans", headers=h).status_code == 403

    sign_in(client, staff.user.email, staff.password)
    home = client.get("/admin")
    assert 'href="/admin/hotspot/batches">Vouchers</a>' in home.text
    page = client.get("/admin/hotspot/batches")
    assert page.status_code == 200 and "Ours" in page.text
    assert "Theirs" not in page.text and "Tenant&#39;s own" not in page.text
    detail = client.get(f"/admin/hotspot/batches/{bought.id}")
    assert "Print cards (PDF)" in detail.text and "Mark sold" not in detail.text
    cards = client.get(f"/admin/hotspot/batches/{bought.id}/cards.pdf")
    assert cards.status_code == 200 and cards.content.startswith(b"%PDF")
    assert client.get(f"/admin/hotspot/batches/{theirs.id}/cards.pdf").status_code == 404
    assert client.get("/admin/hotspot").status_code == 403
