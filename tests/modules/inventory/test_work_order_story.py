"""ONUs through work orders, as an ISP runs it: ten received at the warehouse, three taken
to the technician's van, one installed from the van on the technician's phone through the
installation work order (which could not be completed before), the installation completed
(the subscription comes into service with its CPE MAC bound), then a repair work order takes
the ONU back faulty. Counts, the item's history with the work order numbers and what each
page shows are checked against numbers worked out by hand."""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing.models import Invoice
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.inventory import movements, schemas
from dotmac_isp.modules.inventory import service as inventory_service
from dotmac_isp.modules.inventory.models import Movement
from dotmac_isp.modules.network.radius import addresses
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.modules.services.models import Subscription, SubscriptionStatusChange
from tests.modules.field.factories import make_technician, make_work_order, slot
from tests.modules.inventory.factories import make_item_model, make_location, receive_units
from tests.modules.inventory.test_pages import beside
from tests.modules.network.ipam.factories import make_pool
from tests.support.customers import make_customer, make_plan, make_subscription
from tests.support.factories import StaffUser
from tests.web.billing_support import visible
from tests.web.test_admin_pages import csrf_of, sign_in

API = "/api/v1/inventory"
W = "/api/v1/work-orders"


def api(client: TestClient, who: StaffUser, path: str, body: dict[str, Any] | None = None,
        status: int = 200) -> Any:
    response = (client.post(path, json=body, headers=who.headers) if body is not None
                else client.get(path, headers=who.headers))
    assert response.status_code == status, response.text
    return response.json()


def counts(client: TestClient, admin: StaffUser, location_id: str) -> tuple[int, int]:
    """(in stock, faulty) of the one model at a location."""
    [row] = api(client, admin, f"{API}/locations/{location_id}/stock")["rows"]
    return row["in_stock"], row["faulty"]


def on_site(client: TestClient, admin: StaffUser, tech: StaffUser, order_id: uuid.UUID,
            day: int) -> None:
    start, end = slot(day, 9)
    api(client, admin, f"{W}/{order_id}/schedule", {
        "technician_id": str(tech.user.id), "window_start": start.isoformat(),
        "window_end": end.isoformat()})
    for target in ("en_route", "on_site"):
        api(client, tech, f"{W}/{order_id}/status", {"status": target})


def test_onus_through_an_installation_and_a_repair(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant) -> None:
    pool = make_pool(session, tenant, "100.64.50.0/29", name="story-pool")
    plan = make_plan(session, tenant, name="Fibre 100", ipv4_pool_id=str(pool.id),
                     require_cpe_mac=True)
    customer = make_customer(session, tenant)
    sub = make_subscription(session, settings, tenant, customer=customer, plan=plan,
                            radius_username="kemi.bello")
    tech = make_technician(session, settings, tenant, "Tunde Field")
    onu = api(client, admin, f"{API}/models", {"vendor": "Huawei", "model": "HG8245H",
                                               "kind": "onu"}, 201)
    warehouse = api(client, admin, f"{API}/locations", {"name": "Main warehouse",
                                                        "kind": "warehouse"}, 201)["id"]
    van = api(client, admin, f"{API}/locations", {"name": "Van Tunde", "kind": "van",
                                                  "owner_user_id": str(tech.user.id)},
              201)["id"]
    received = api(client, admin, f"{API}/movements/receive", {
        "location_id": warehouse, "item_model_id": onu["id"],
        "units": [{"serial": f"HWTC{n:04d}", "mac": f"00:25:9e:00:00:{n:02x}"}
                  for n in range(1, 11)]}, 201)
    items = [m["item_id"] for m in received]
    assert counts(client, admin, warehouse) == (10, 0)
    api(client, admin, f"{API}/movements/transfer", {
        "from_location_id": warehouse, "to_location_id": van, "item_ids": items[:3]}, 201)
    assert (counts(client, admin, warehouse), counts(client, admin, van)) == ((7, 0), (3, 0))

    install = make_work_order(session, tenant, customer=customer, kind="installation",
                              subscription_id=sub.id)
    on_site(client, admin, tech, install.id, day=1)
    # the plan accepts the subscriber only from the CPE's MAC: not done without one
    early = client.post(f"{W}/{install.id}/status", headers=tech.headers,
                        json={"status": "done"})
    assert early.status_code == 422
    assert early.json()["detail"] == (
        "install the CPE first: plan Fibre 100 accepts kemi.bello only from the installed "
        "CPE's MAC, and none is installed")
    assert session.get(Subscription, sub.id).status == "pending"  # type: ignore[union-attr]

    # on the phone: an ONU still in the warehouse is refused beside the field
    sign_in(client, tech.user.email, tech.password)
    job = f"/admin/field/my-day/{install.id}"
    page = client.get(job).text
    token = csrf_of(page)
    assert 'data-testid="install-form"' in page
    assert re.findall(r'<option value="[^"]+">Huawei HG8245H · (HWTC\d+)', page) == [
        "HWTC0001", "HWTC0002", "HWTC0003"]
    url = f"/admin/field/work-orders/{install.id}/equipment/install"
    refused = client.post(url, data={"csrf_token": token, "view": "job", "code": "HWTC0005"})
    assert refused.status_code == 422
    assert beside(refused.text, "code") == [
        "Serial or MAC: item HWTC0005 is not in your van: it is Main warehouse"]
    # scanned as printed on the box: the MAC in another written form
    done = client.post(url, data={"csrf_token": token, "view": "job",
                                  "code": "00-25-9E-00-00-01"}, follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, job)
    assert counts(client, admin, van) == (2, 0)
    page = client.get(job).text
    assert 'data-serial="HWTC0001"' in page and "Equipment installed." in page
    finished = client.post(f"/admin/field/work-orders/{install.id}/status", data={
        "csrf_token": token, "view": "job", "status": "done"}, follow_redirects=False)
    assert finished.status_code == 303, visible(finished.text)

    session.expire_all()
    assert session.get(Subscription, sub.id).status == "active"  # type: ignore[union-attr]
    change = session.scalars(select(SubscriptionStatusChange).where(
        SubscriptionStatusChange.subscription_id == sub.id)
        .order_by(SubscriptionStatusChange.effective_at.desc())).first()
    assert change is not None and (change.to_status, change.reason) == (
        "active", f"installed: work order {install.number} done")
    ipv4, _ = addresses.addresses_for(session, tenant.id, sub.id)
    assert ipv4 is not None and ipv4.startswith("100.64.50.")
    assert session.scalar(select(func.count()).select_from(Invoice).where(
        Invoice.customer_id == customer.id)) == 1
    assert inventory_service.bound_macs(session, [sub.id]) == {
        (tenant.id, sub.id): frozenset({"00:25:9e:00:00:01"})}

    sign_in(client, admin.user.email, admin.password)
    sub_page = client.get(f"/admin/subscriptions/{sub.id}").text
    assert re.findall(r'data-testid="cpe-(?:serial|mac)">([^<]+)<', sub_page) == [
        "HWTC0001", "00:25:9e:00:00:01"]
    found = visible(client.get("/admin/search", params={"q": "0025.9e00.0001"}).text)
    assert "kemi.bello (Huawei HG8245H)" in found

    # a repair: the ONU comes back to the van, faulty
    repair = make_work_order(session, tenant, customer=customer, kind="repair",
                             subscription_id=sub.id)
    on_site(client, admin, tech, repair.id, day=2)
    sign_in(client, tech.user.email, tech.password)
    job = f"/admin/field/my-day/{repair.id}"
    page = client.get(job).text
    assert 'data-testid="take-back-form"' in page
    taken = client.post(f"/admin/field/work-orders/{repair.id}/equipment/take-back", data={
        "csrf_token": csrf_of(page), "view": "job", "back_item_id": items[0],
        "to_location_id": van, "faulty": "1"}, follow_redirects=False)
    assert taken.status_code == 303, visible(taken.text)
    assert (counts(client, admin, warehouse), counts(client, admin, van)) == ((7, 0), (2, 1))
    assert api(client, admin, f"{API}/subscriptions/{sub.id}/cpe") == []
    assert inventory_service.bound_macs(session, [sub.id]) == {}

    history = api(client, admin, f"{API}/items/{items[0]}/history")
    assert [(h["kind"], h["from_location_id"], h["to_location_id"], h["subscription_id"],
             h["work_order_number"], h["faulty"], h["actor_label"]) for h in history] == [
        ("receive", None, warehouse, None, None, False, admin.user.email),
        ("transfer", warehouse, van, None, None, False, admin.user.email),
        ("install", van, None, str(sub.id), install.number, False, tech.user.email),
        ("return", None, van, str(sub.id), repair.number, True, tech.user.email)]
    # each work order's page lists what it moved
    sign_in(client, admin.user.email, admin.password)
    for order, kind, where in ((install, "install", "kemi.bello"),
                               (repair, "return (faulty)", "Van Tunde")):
        moved = client.get(f"/admin/field/work-orders/{order.id}").text
        table = re.search(r'<table data-testid="job-moves">.*?</table>', moved, re.S)
        assert table is not None
        rows = [visible(r) for r in re.findall(r"<tr data-kind.*?</tr>", table.group(0), re.S)]
        assert len(rows) == 1 and f"{kind} Huawei HG8245H HWTC0001 {where}" in rows[0]
    item_page = visible(client.get(f"/admin/inventory/items/{items[0]}").text)
    assert install.number in item_page and repair.number in item_page


def test_a_removal_is_done_with_the_cpe_still_there_and_says_so(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant) -> None:
    customer = make_customer(session, tenant)
    sub = make_subscription(session, settings, tenant, customer=customer,
                            status=SubscriptionStatus.ACTIVE, radius_username="ada.obi")
    warehouse = make_location(session, tenant, "Main warehouse")
    model = make_item_model(session, tenant)
    [unit] = receive_units(session, tenant, warehouse, model, 1)
    movements.install(session, tenant.id, schemas.InstallIn(
        item_ids=[unit.id], from_location_id=warehouse.id, subscription_id=sub.id))
    tech = make_technician(session, settings, tenant)
    removal = make_work_order(session, tenant, customer=customer, kind="removal",
                              subscription_id=sub.id)
    on_site(client, admin, tech, removal.id, day=1)
    sign_in(client, admin.user.email, admin.password)
    page = client.get(f"/admin/field/work-orders/{removal.id}").text
    assert "Take it back before completing." in visible(page)
    assert 'data-testid="install-form"' not in page  # a removal installs nothing
    api(client, tech, f"{W}/{removal.id}/status", {"status": "done"})
    session.expire_all()
    assert session.get(Subscription, sub.id).status == "active"  # type: ignore[union-attr]
    warning = visible(client.get(f"/admin/field/work-orders/{removal.id}").text)
    assert (f"This removal is done, but equipment is still installed at ada.obi: "
            f"{model.name} {unit.serial}. The subscription was left as it is.") in warning
    assert session.scalar(select(func.count()).select_from(Movement).where(
        Movement.work_order_id == removal.id)) == 0
