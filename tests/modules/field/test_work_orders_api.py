"""Work orders through the API: created with the customer's address and the kind's
checklist, moves checked and recorded, done refused until the checklist is ticked."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.customers import schemas as customer_schemas
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.identity.models import AuditLog, Tenant
from dotmac_isp.modules.support.settings import SupportSettings
from tests.modules.field.factories import PNG, make_technician, set_checklist, slot
from tests.support.customers import make_customer
from tests.support.factories import StaffUser

W = "/api/v1/work-orders"


def test_create_takes_the_service_address_and_the_kinds_checklist(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    set_checklist(session, tenant, "installation", [("Mount the ONT", True),
                                                    ("Show the customer the Wi-Fi", False)])
    customer = make_customer(session, tenant, addresses=[
        {"kind": "billing", "line1": "1 Billing Way", "city": "Abuja", "country": "NG"},
        {"kind": "service", "line1": "12 Marina Road", "city": "Lagos", "country": "NG",
         "latitude": "6.451400", "longitude": "3.388600"}])
    made = client.post(W, headers=admin.headers, json={
        "kind": "installation", "customer_id": str(customer.id), "description": "New fibre"})
    assert made.status_code == 201, made.text
    order = made.json()
    assert order["number"] == "WO000001" and order["status"] == "new"
    assert order["address"] == "12 Marina Road, Lagos, NG"
    assert Decimal(order["latitude"]) == Decimal("6.4514")
    items = client.get(f"{W}/{order['id']}/checklist", headers=admin.headers).json()
    assert [(i["label"], i["required"], i["done"]) for i in items] == [
        ("Mount the ONT", True, False), ("Show the customer the Wi-Fi", False, False)]
    second = client.post(W, headers=admin.headers, json={
        "kind": "repair", "customer_id": str(customer.id), "address": "  3 Other  Street "})
    assert second.json()["number"] == "WO000002"
    assert second.json()["address"] == "3 Other Street" and second.json()["latitude"] is None
    # a template changed later does not change the work orders already made
    set_checklist(session, tenant, "installation", [])
    assert len(client.get(f"{W}/{order['id']}/checklist", headers=admin.headers).json()) == 2


def test_bad_input_is_a_4xx_with_the_field_named(client: TestClient, admin: StaffUser,
                                                 session: Session, tenant: Tenant,
                                                 other_tenant: Tenant) -> None:
    theirs = make_customer(session, other_tenant)
    for body, words in [
        ({"kind": "installation", "customer_id": str(theirs.id)}, "customer_id: no such"),
        ({"kind": "teleport", "customer_id": str(theirs.id)}, "kind"),
        ({"kind": "repair", "customer_id": str(make_customer(session, tenant).id),
          "latitude": "6.5"}, "both latitude and longitude"),
    ]:
        response = client.post(W, headers=admin.headers, json=body)
        assert response.status_code == 422, response.text
        assert words in response.json()["detail"]


def test_status_moves_are_checked_and_each_is_a_history_row(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant) -> None:
    set_checklist(session, tenant, "repair", [("Measure the light level", True),
                                              ("Tidy the cables", False)])
    tech = make_technician(session, settings, tenant)
    order = client.post(W, headers=admin.headers, json={
        "kind": "repair", "customer_id": str(make_customer(session, tenant).id)}).json()
    url = f"{W}/{order['id']}"
    skip = client.post(f"{url}/status", headers=admin.headers, json={"status": "on_site"})
    assert skip.status_code == 422
    assert skip.json()["detail"] == ("a new work order cannot become on_site "
                                     "(it can become: cancelled, scheduled)")
    unscheduled = client.post(f"{url}/status", headers=admin.headers,
                              json={"status": "scheduled"})
    assert unscheduled.status_code == 422 and "schedule it" in unscheduled.json()["detail"]
    start, end = slot(1, 9)
    scheduled = client.post(f"{url}/schedule", headers=admin.headers, json={
        "technician_id": str(tech.user.id), "window_start": start.isoformat(),
        "window_end": end.isoformat()})
    assert scheduled.status_code == 200, scheduled.text
    for target in ("en_route", "on_site"):
        moved = client.post(f"{url}/status", headers=tech.headers,
                            json={"status": target, "note": f"now {target}"})
        assert moved.status_code == 200, moved.text
    early = client.post(f"{url}/status", headers=tech.headers, json={"status": "done"})
    assert early.status_code == 422
    assert early.json()["detail"] == ("tick the required checklist items first: "
                                      "Measure the light level")
    items = client.get(f"{url}/checklist", headers=tech.headers).json()
    ticked = client.post(f"{url}/checklist/{items[0]['id']}", headers=tech.headers,
                         json={"done": True})
    assert ticked.json()["done"] is True and ticked.json()["done_by"] == tech.user.email
    done = client.post(f"{url}/status", headers=tech.headers,
                       json={"status": "done", "note": "light level -19 dBm"})
    assert done.status_code == 200 and done.json()["completed_at"]
    final = client.post(f"{url}/status", headers=admin.headers, json={"status": "cancelled"})
    assert final.status_code == 422 and "nothing (it is finished)" in final.json()["detail"]
    late_tick = client.post(f"{url}/checklist/{items[1]['id']}", headers=tech.headers,
                            json={"done": True})
    assert late_tick.status_code == 422 and "checklist is closed" in late_tick.json()["detail"]
    moves = client.get(f"{url}/history", headers=admin.headers).json()["items"]
    assert [(m["kind"], m["from_status"], m["to_status"]) for m in moves] == [
        ("created", None, "new"), ("scheduled", "new", "scheduled"),
        ("status", "scheduled", "en_route"), ("status", "en_route", "on_site"),
        ("status", "on_site", "done")]
    assert moves[-1]["note"] == "light level -19 dBm"
    assert moves[-1]["actor_label"] == tech.user.email and moves[0]["actor_label"]
    audited = session.scalars(select(AuditLog.action).where(
        AuditLog.entity_type == "work_orders", AuditLog.entity_id == order["id"])).all()
    assert audited.count("create") == 1 and audited.count("update") >= 4


def test_cancel_from_any_open_state_and_the_list_filters(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    customer = make_customer(session, tenant)
    ids = [client.post(W, headers=admin.headers, json={
        "kind": kind, "customer_id": str(customer.id)}).json()["id"]
        for kind in ("repair", "removal", "site_survey")]
    cancelled = client.post(f"{W}/{ids[0]}/status", headers=admin.headers,
                            json={"status": "cancelled", "note": "customer fixed it"})
    assert cancelled.json()["status"] == "cancelled"
    listed = client.get(W, headers=admin.headers, params={"status": "new", "limit": 1}).json()
    assert [i["id"] for i in listed["items"]] == [ids[2]] and listed["has_more"]
    more = client.get(W, headers=admin.headers, params={
        "status": "new", "limit": 1, "cursor": listed["next_cursor"]}).json()
    assert [i["id"] for i in more["items"]] == [ids[1]] and not more["has_more"]
    assert [i["id"] for i in client.get(W, headers=admin.headers, params={
        "kind": "removal"}).json()["items"]] == [ids[1]]
    assert client.get(W, headers=admin.headers,
                      params={"customer_id": str(customer.id)}).json()["items"]


def test_a_changed_customer_address_is_not_copied_to_an_existing_work_order(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    customer = make_customer(session, tenant)
    order = client.post(W, headers=admin.headers, json={
        "kind": "repair", "customer_id": str(customer.id)}).json()
    customers_service.add_address(session, tenant.id, customer.id,
                                  customer_schemas.AddressIn(kind="service", line1="New Road"))
    again = client.get(f"{W}/{order['id']}", headers=admin.headers).json()
    assert again["address"] == order["address"]
    patched = client.patch(f"{W}/{order['id']}", headers=admin.headers,
                           json={"address": "New Road", "latitude": "6.5", "longitude": "3.4"})
    assert patched.status_code == 200 and patched.json()["address"] == "New Road"


def test_photos_and_signature_are_images_checked_and_stored(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant, tmp_path: Path) -> None:
    client.app.state.support_settings = SupportSettings(  # type: ignore[attr-defined]
        attachments_dir=str(tmp_path / "files"), max_attachment_bytes=4096)
    order = client.post(W, headers=admin.headers, json={
        "kind": "repair", "customer_id": str(make_customer(session, tenant).id)}).json()
    url = f"{W}/{order['id']}/attachments"
    photo = client.post(url, headers=admin.headers, files={"file": ("ont.png", PNG)},
                        data={"kind": "photo"})
    assert photo.status_code == 201, photo.text
    assert photo.json()["content_type"] == "image/png" and photo.json()["kind"] == "photo"
    content = client.get(f"{url}/{photo.json()['id']}/content", headers=admin.headers)
    assert content.content == PNG
    for name, data, kind, status, words in [
        ("notes.txt", b"hello", "photo", 422, ".txt files are not accepted"),
        ("fake.png", b"MZ\x90\x00 not an image", "photo", 422, "not really a .png"),
        ("sig.jpg", b"\xff\xd8\xff\xe0" + b"0" * 20, "signature", 422,
         ".jpg files are not accepted; allowed: png"),
        ("big.png", PNG + b"\x00" * 5000, "photo", 413, "the limit is 4096 bytes"),
        ("ont.png", PNG, "selfie", 422, "kind: photo or signature"),
    ]:
        refused = client.post(url, headers=admin.headers, files={"file": (name, data)},
                              data={"kind": kind})
        assert refused.status_code == status, (name, refused.text)
        assert words in refused.json()["detail"], refused.text
    signed = client.post(url, headers=admin.headers, files={"file": ("sig.png", PNG)},
                         data={"kind": "signature"})
    assert signed.status_code == 201
    listed = client.get(url, headers=admin.headers).json()["items"]
    assert [(a["kind"], a["filename"]) for a in listed] == [("photo", "ont.png"),
                                                            ("signature", "sig.png")]
    note = client.post(f"{W}/{order['id']}/notes", headers=admin.headers,
                       json={"body": "Dog in the garden"})
    assert note.status_code == 201 and note.json()["author_label"] == admin.user.email
