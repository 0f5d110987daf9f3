"""The inventory pages as staff use them: forms that name every problem beside its field and
commit nothing when refused, stock counts and low-stock flags, an item's history, the
subscription page's CPE, global search by serial or MAC, and a technician's own van."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.inventory.models import Item, Movement
from dotmac_isp.modules.services.enums import SubscriptionStatus
from tests.modules.inventory.factories import make_item_model, make_location
from tests.support.customers import make_subscription
from tests.support.factories import StaffUser, make_user
from tests.web.billing_support import visible
from tests.web.test_admin_pages import csrf_of, sign_in


def beside(html: str, field: str) -> list[str]:
    """The error lines shown next to a field."""
    return [visible(m) for m in re.findall(
        rf'<span class="field-error" id="{field}-error" data-error-for="{field}"[^>]*>(.*?)'
        r"</span>", html)]


def stock_cells(html: str, model: str) -> tuple[str, str]:
    row = re.search(rf'<tr data-model="{model}".*?</tr>', html, re.S)
    assert row, f"no stock row for {model}"
    cells = re.findall(r'data-testid="(?:in-stock|faulty)">(\d+)<', row.group(0))
    return cells[0], cells[1]


def test_receive_install_and_see_it_everywhere(client: TestClient, admin: StaffUser,
                                               session: Session, settings: Settings,
                                               tenant: Tenant) -> None:
    sub = make_subscription(session, settings, tenant, status=SubscriptionStatus.ACTIVE,
                            radius_username="ada.obi")
    warehouse = make_location(session, tenant, "Main warehouse")
    onu = make_item_model(session, tenant, model="HG8245H")
    sign_in(client, admin.user.email, admin.password)
    token = csrf_of(client.get("/admin/inventory/move/receive").text)

    bad = client.post("/admin/inventory/move/receive", data={
        "csrf_token": token, "location_id": "", "item_model_id": str(onu.id),
        "units": "ONU-1 00:25:9e:00:00:01\nONU-2 not-a-mac", "work_order_id": "WO-17"})
    assert bad.status_code == 422
    assert beside(bad.text, "work_order_id") == [
        "Work order: 'WO-17' is not an id such as 0b5e7a43-2d1c-4f6e-9a8b-7c6d5e4f3a21"]
    assert beside(bad.text, "location_id") == ["Location: field required"]
    assert beside(bad.text, "units") == [
        "Units: 'not-a-mac' is not a MAC address such as aa:bb:cc:dd:ee:ff"]
    assert session.scalar(select(func.count()).select_from(Item)) == 0

    ok = client.post("/admin/inventory/move/receive", data={
        "csrf_token": token, "location_id": str(warehouse.id), "item_model_id": str(onu.id),
        "units": "ONU-1 00:25:9e:00:00:01\nONU-2 00259e000002\nONU-3"},
        follow_redirects=False)
    assert ok.status_code == 303, visible(ok.text)
    page = client.get(f"/admin/inventory/locations/{warehouse.id}").text
    assert stock_cells(page, "HG8245H") == ("3", "0")

    threshold = client.post(f"/admin/inventory/locations/{warehouse.id}/thresholds", data={
        "csrf_token": token, "item_model_id": str(onu.id), "minimum": "3"},
        follow_redirects=False)
    assert threshold.status_code == 303

    # install from where it is not: refused beside the serials, nothing changes
    other = make_location(session, tenant, "Depot")
    refused = client.post("/admin/inventory/move/install", data={
        "csrf_token": token, "serials": "ONU-1", "from_location_id": str(other.id),
        "subscription": "ada.obi"})
    assert refused.status_code == 422
    assert beside(refused.text, "serials") == [
        "Serials: item ONU-1 is not at Depot: it is Main warehouse"]
    unknown = client.post("/admin/inventory/move/install", data={
        "csrf_token": token, "serials": "ONU-1", "from_location_id": str(warehouse.id),
        "subscription": "nobody"})
    assert beside(unknown.text, "subscription") == [
        "Subscription: no subscription with username 'nobody'"]
    assert session.scalar(select(func.count()).select_from(Movement).where(
        Movement.kind == "install")) == 0

    done = client.post("/admin/inventory/move/install", data={
        "csrf_token": token, "serials": "ONU-1", "from_location_id": str(warehouse.id),
        "subscription": "ada.obi"}, follow_redirects=False)
    assert done.status_code == 303, visible(done.text)
    item_page = visible(client.get(done.headers["location"]).text)
    assert "installed at the subscription" in item_page
    assert re.search(r"receive Main warehouse .* install Main warehouse subscription",
                     item_page)

    page = client.get(f"/admin/inventory/locations/{warehouse.id}").text
    assert stock_cells(page, "HG8245H") == ("2", "0")
    assert 'data-testid="low-stock"' in page  # 2 in stock, low below 3
    dashboard = client.get("/admin").text
    assert re.search(r'data-testid="fig-low-stock">\s*<span class="figure-value" '
                     r'data-value="1"', dashboard)

    sub_page = client.get(f"/admin/subscriptions/{sub.id}").text
    assert re.findall(r'data-testid="cpe-(?:serial|mac)">([^<]+)<', sub_page) == [
        "ONU-1", "00:25:9e:00:00:01"]
    for query in ("00-25-9E-00-00-01", "ONU-1"):
        found = client.get("/admin/search", params={"q": query}).text
        assert f'href="/admin/subscriptions/{sub.id}"' in found
        assert "ada.obi (Huawei HG8245H)" in visible(found)


def test_a_technician_sees_only_their_own_van(client: TestClient, session: Session,
                                              settings: Settings, tenant: Tenant) -> None:
    tech = make_user(session, settings, tenant, "billing")  # no inventory:read
    van = make_location(session, tenant, "Van 7", kind="van", owner_user_id=tech.user.id)
    warehouse = make_location(session, tenant, "Main warehouse")
    sign_in(client, tech.user.email, tech.password)
    assert client.get("/admin/inventory", follow_redirects=False).headers["location"] == \
        "/admin/inventory/my-van"
    mine = visible(client.get("/admin/inventory/my-van").text)
    assert "Van 7" in mine and "Main warehouse" not in mine
    assert client.get(f"/admin/inventory/locations/{van.id}").status_code == 200
    assert client.get(f"/admin/inventory/locations/{warehouse.id}").status_code == 403
