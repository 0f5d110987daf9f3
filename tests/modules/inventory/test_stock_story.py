"""The life of ONUs through the API: received at a warehouse, some taken to a van, one
installed at a subscription and returned faulty. Counts, histories and the subscription's
CPE are checked at each step against numbers worked out by hand."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.inventory.models import Movement
from dotmac_isp.modules.services.enums import SubscriptionStatus
from tests.support.customers import make_subscription
from tests.support.factories import StaffUser, make_user

API = "/api/v1/inventory"


def post(client: TestClient, admin: StaffUser, path: str, body: dict[str, Any],
         status: int = 201) -> Any:
    response = client.post(f"{API}{path}", json=body, headers=admin.headers)
    assert response.status_code == status, response.text
    return response.json()


def counts(client: TestClient, admin: StaffUser, location_id: str) -> dict[str, tuple[int, int]]:
    """{model: (in stock, faulty)} of a location."""
    response = client.get(f"{API}/locations/{location_id}/stock", headers=admin.headers)
    assert response.status_code == 200, response.text
    return {r["model"]: (r["in_stock"], r["faulty"]) for r in response.json()["rows"]}


def cpe(client: TestClient, admin: StaffUser, sub_id: uuid.UUID) -> list[tuple[str, str]]:
    response = client.get(f"{API}/subscriptions/{sub_id}/cpe", headers=admin.headers)
    assert response.status_code == 200, response.text
    return [(c["serial"], c["mac"]) for c in response.json()]


def test_receive_transfer_install_return_faulty(client: TestClient, admin: StaffUser,
                                                session: Session, settings: Settings,
                                                tenant: Tenant) -> None:
    tech = make_user(session, settings, tenant, "network_engineer")
    sub = make_subscription(session, settings, tenant, status=SubscriptionStatus.ACTIVE)
    onu = post(client, admin, "/models", {"vendor": "Huawei", "model": "HG8245H",
                                          "kind": "onu", "unit_cost": "38.50"})
    assert onu["unit_cost"] == "38.50"
    warehouse = post(client, admin, "/locations", {"name": "Main warehouse",
                                                   "kind": "warehouse"})["id"]
    van = post(client, admin, "/locations", {"name": "Van 1", "kind": "van",
                                             "owner_user_id": str(tech.user.id)})["id"]

    # 10 ONUs arrive; the MACs are written three different ways
    units = [{"serial": f"48575443{n:08X}", "mac": f"00-25-9E-00-00-{n:02X}"}
             for n in range(1, 11)]
    units[1]["mac"] = "0025.9e00.0002"
    received = post(client, admin, "/movements/receive", {
        "location_id": warehouse, "item_model_id": onu["id"], "units": units})
    assert len(received) == 10 and {m["kind"] for m in received} == {"receive"}
    items = [m["item_id"] for m in received]
    assert counts(client, admin, warehouse) == {"HG8245H": (10, 0)}

    post(client, admin, "/movements/transfer", {
        "from_location_id": warehouse, "to_location_id": van, "item_ids": items[:3]})
    assert counts(client, admin, warehouse) == {"HG8245H": (7, 0)}
    assert counts(client, admin, van) == {"HG8245H": (3, 0)}

    post(client, admin, "/movements/install", {
        "item_ids": [items[0]], "from_location_id": van, "subscription_id": str(sub.id)})
    assert counts(client, admin, van) == {"HG8245H": (2, 0)}
    assert cpe(client, admin, sub.id) == [("4857544300000001", "00:25:9e:00:00:01")]
    installed = client.get(f"{API}/items/{items[0]}", headers=admin.headers).json()
    assert (installed["state"], installed["subscription_id"], installed["location_id"]) == (
        "installed", str(sub.id), None)

    post(client, admin, "/movements/return", {
        "item_ids": [items[0]], "from_subscription_id": str(sub.id),
        "to_location_id": warehouse, "faulty": True, "note": "no optical signal"})
    assert counts(client, admin, warehouse) == {"HG8245H": (7, 1)}
    assert counts(client, admin, van) == {"HG8245H": (2, 0)}
    assert cpe(client, admin, sub.id) == []
    # the second unit's MAC, given as 0025.9e00.0002, is stored in the one written form
    second = client.get(f"{API}/items/{items[1]}", headers=admin.headers).json()
    assert second["mac"] == "00:25:9e:00:00:02"

    history = client.get(f"{API}/items/{items[0]}/history", headers=admin.headers).json()
    assert [(h["kind"], h["from_location_id"], h["to_location_id"], h["subscription_id"],
             h["work_order_id"], h["faulty"]) for h in history] == [
        ("receive", None, warehouse, None, None, False),
        ("transfer", warehouse, van, None, None, False),
        ("install", van, None, str(sub.id), None, False),
        ("return", None, warehouse, str(sub.id), None, True)]
    assert history[-1]["note"] == "no optical signal"
    assert {h["actor_label"] for h in history} == {admin.user.email}
    untouched = client.get(f"{API}/items/{items[9]}/history", headers=admin.headers).json()
    assert [h["kind"] for h in untouched] == ["receive"]

    # the technician sees his van's stock without reading the whole inventory
    mine = client.get(f"{API}/my-van", headers=tech.headers).json()
    assert [(v["location"]["name"], v["rows"][0]["in_stock"]) for v in mine] == [("Van 1", 2)]


def test_a_move_from_where_the_item_is_not_is_refused_and_changes_nothing(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant) -> None:
    sub = make_subscription(session, settings, tenant, status=SubscriptionStatus.ACTIVE)
    onu = post(client, admin, "/models", {"vendor": "ZTE", "model": "F660", "kind": "onu"})
    warehouse = post(client, admin, "/locations", {"name": "W", "kind": "warehouse"})["id"]
    other = post(client, admin, "/locations", {"name": "Depot", "kind": "warehouse"})["id"]
    items = [m["item_id"] for m in post(client, admin, "/movements/receive", {
        "location_id": warehouse, "item_model_id": onu["id"],
        "units": [{"serial": "Z1"}, {"serial": "Z2"}]})]
    before = session.scalar(select(func.count()).select_from(Movement))

    refused = [
        client.post(f"{API}/movements/transfer", headers=admin.headers, json={
            "from_location_id": other, "to_location_id": warehouse, "item_ids": items}),
        client.post(f"{API}/movements/return", headers=admin.headers, json={
            "from_subscription_id": str(sub.id), "to_location_id": other,
            "item_ids": [items[0]]}),
    ]
    answers = [(r.status_code, r.json()["detail"]) for r in refused]
    assert answers == [
        (409, "item Z1 is not at Depot: it is W"),
        (409, f"item Z1 is not at subscription {sub.radius_username}: it is W")]
    post(client, admin, "/movements/transfer", {
        "from_location_id": warehouse, "to_location_id": other, "item_ids": [items[1]]})
    # one of the two is at the source, the other not: neither moves
    mixed = client.post(f"{API}/movements/transfer", headers=admin.headers, json={
        "from_location_id": warehouse, "to_location_id": other, "item_ids": items})
    assert (mixed.status_code, mixed.json()["error"]) == (409, "not_at_source")
    assert counts(client, admin, warehouse) == {"F660": (1, 0)}
    assert counts(client, admin, other) == {"F660": (1, 0)}
    after = session.scalar(select(func.count()).select_from(Movement))
    assert after == (before or 0) + 1  # only the one good transfer was logged
