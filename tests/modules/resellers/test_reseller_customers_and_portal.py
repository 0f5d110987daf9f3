"""Reseller staff create customers for their reseller; tenant staff choose and filter by
reseller; reseller staff stay out of tenant-wide pages; the reseller's portal shows its brand."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.customers import portal
from dotmac_isp.modules.customers.schemas import PortalAccountCreate
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.resellers import service
from tests.modules.resellers.helpers import make_reseller, reseller_staff
from tests.support.customers import make_customer
from tests.support.factories import StaffUser
from tests.web.test_admin_pages import csrf_of, sign_in

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")


def test_reseller_staff_create_customers_for_their_reseller_only(
        client: TestClient, session: Session, settings: Settings, tenant: Tenant,
        admin: StaffUser) -> None:
    mine = make_reseller(session, tenant, "mine")
    other = make_reseller(session, tenant, "other")
    staff = reseller_staff(session, settings, tenant, mine, admin)
    made = client.post("/api/v1/customers", headers=staff.headers,
                       json={"first_name": "New", "last_name": "Buyer"})
    assert made.status_code == 201, made.text
    assert made.json()["reseller_id"] == str(mine.id)
    moved = client.patch(f"/api/v1/customers/{made.json()['id']}", headers=staff.headers,
                         json={"reseller_id": str(other.id)})
    assert moved.status_code == 403
    refused = client.post("/api/v1/customers", headers=staff.headers,
                          json={"first_name": "Stray", "reseller_id": str(other.id)})
    assert refused.status_code == 403
    assert client.get(f"/api/v1/customers/{made.json()['id']}",
                      headers=staff.headers).json()["reseller_id"] == str(mine.id)
    # tenant staff see every customer, choose the reseller and filter by it
    direct = client.post("/api/v1/customers", headers=admin.headers,
                         json={"first_name": "Own", "last_name": "Customer"}).json()
    given = client.post("/api/v1/customers", headers=admin.headers,
                        json={"first_name": "Given", "reseller_id": str(other.id)})
    assert given.json()["reseller_id"] == str(other.id)
    unknown = client.post("/api/v1/customers", headers=admin.headers,
                          json={"first_name": "Lost", "reseller_id": str(uuid.uuid4())})
    assert unknown.status_code == 422 and "no such reseller" in unknown.json()["detail"]

    def listed(reseller: str) -> set[str]:
        page = client.get("/api/v1/customers", params={"reseller": reseller},
                          headers=admin.headers).json()
        return {c["id"] for c in page["items"]}

    assert listed(str(mine.id)) == {made.json()["id"]}
    assert listed(str(other.id)) == {given.json()["id"]}
    assert listed("none") == {direct["id"]}
    assert client.get("/api/v1/customers", params={"reseller": "someone"},
                      headers=admin.headers).status_code == 422
    assert {c["id"] for c in client.get("/api/v1/customers", headers=staff.headers)
            .json()["items"]} == {made.json()["id"]}


def test_reseller_staff_stay_out_of_tenant_pages_and_other_customers(
        client: TestClient, session: Session, settings: Settings, tenant: Tenant,
        admin: StaffUser) -> None:
    mine = make_reseller(session, tenant, "mine")
    staff = reseller_staff(session, settings, tenant, mine, admin)
    direct = make_customer(session, tenant, first_name="Direct", last_name="Person")
    own = make_customer(session, tenant, first_name="Own", last_name="Person",
                        reseller_id=mine.id)
    session.flush()
    assert sign_in(client, staff.user.email, staff.password).status_code == 303
    assert client.get(f"/admin/customers/{direct.id}").status_code == 404
    assert client.get(f"/admin/customers/{own.id}").status_code == 200
    listing = client.get("/admin/customers").text
    assert own.number in listing and direct.number not in listing
    searched = client.get("/admin/search", params={"q": "Person"}).text
    assert own.number in searched and direct.number not in searched
    for page in ("/admin/resellers", f"/admin/resellers/{mine.id}", "/admin/settings",
                 "/admin/users", "/admin/billing/runs", "/admin/support/settings"):
        assert client.get(page).status_code == 403, page
    assert client.get("/admin").status_code == 200  # the dashboard, with their figures


def test_the_resellers_portal_shows_its_brand(client: TestClient, session: Session,
                                              settings: Settings, tenant: Tenant) -> None:
    reseller = make_reseller(session, tenant, "wavenet", display_name="WaveNet Home",
                             primary_colour="#112233")
    service.set_logo(session, tenant.id, reseller.id, PNG)
    customer = make_customer(session, tenant, email="kid@wavenet.example",
                             reseller_id=reseller.id)
    plain = make_customer(session, tenant, email="plain@tenant-a.example")
    for who in (customer, plain):
        portal.create_account(session, settings, tenant.id, who.id,
                              PortalAccountCreate(password="portal-pass-123"))
    session.flush()

    door = client.get(f"/portal/{tenant.slug}/r/wavenet/login")
    assert door.status_code == 200
    assert "WaveNet Home" in door.text and "#112233" in door.text
    assert "data:image/png;base64," in door.text
    assert client.get(f"/portal/{tenant.slug}/r/nobody/login").status_code == 404
    wrong = client.post(f"/portal/{tenant.slug}/r/wavenet/login", data={
        "csrf_token": csrf_of(door.text), "login": customer.email, "password": "nope-nope"})
    assert wrong.status_code == 401 and "WaveNet Home" in wrong.text
    signed = client.post(f"/portal/{tenant.slug}/r/wavenet/login", data={
        "csrf_token": csrf_of(wrong.text), "login": customer.email,
        "password": "portal-pass-123"}, follow_redirects=False)
    assert signed.status_code == 303
    home = client.get(f"/portal/{tenant.slug}")
    assert "WaveNet Home" in home.text and f"Service provided by {tenant.name}" in home.text
    assert "WaveNet Home" in client.get(f"/portal/{tenant.slug}/billing").text

    other = TestClient(client.app)
    page = other.get(f"/portal/{tenant.slug}/login")
    other.post(f"/portal/{tenant.slug}/login", data={
        "csrf_token": csrf_of(page.text), "login": plain.email, "password": "portal-pass-123"})
    assert "WaveNet" not in other.get(f"/portal/{tenant.slug}").text
