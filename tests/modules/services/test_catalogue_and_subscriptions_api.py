"""Plans, add-ons and subscriptions through the API."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.services.models import Subscription
from tests.support.customers import make_customer, make_plan, make_subscription
from tests.support.factories import StaffUser

PLAN = {"name": "Home Fibre 100", "kind": "internet", "download_kbps": 100_000,
        "upload_kbps": 20_000, "burst_download_kbps": 150_000, "burst_upload_kbps": 30_000,
        "burst_threshold_download_kbps": 80_000, "burst_threshold_upload_kbps": 16_000,
        "burst_time_seconds": 16, "data_cap_mb": 500_000, "fup_download_kbps": 10_000,
        "fup_upload_kbps": 2_000, "price": "49.90", "setup_fee": "25.00",
        "billing_cycle": "monthly", "min_contract_months": 12, "session_timeout_seconds": 86400,
        "interim_interval_seconds": 300,
        "radius_attributes": {"Mikrotik-Address-List": "fibre-100"}}


def test_plan_with_everything_an_isp_sells(client: TestClient, admin: StaffUser) -> None:
    response = client.post("/api/v1/plans", headers=admin.headers, json=PLAN)
    assert response.status_code == 201, response.text
    plan = response.json()
    assert plan["price"] == "49.90" and plan["setup_fee"] == "25.00"
    assert plan["currency"] == "USD" and plan["fup_download_kbps"] == 10_000
    assert client.post("/api/v1/plans", headers=admin.headers, json=PLAN).status_code == 409
    voice = client.post("/api/v1/plans", headers=admin.headers, json={
        "name": "Voice Basic", "kind": "voice", "price": "5", "currency": "eur"})
    assert voice.status_code == 201 and voice.json()["currency"] == "EUR"


@pytest.mark.parametrize(("change", "message"), [
    ({"download_kbps": None}, "download_kbps and upload_kbps"),
    ({"burst_download_kbps": 90_000}, "must be above"),
    ({"burst_threshold_download_kbps": 200_000}, "must not exceed"),
    ({"fup_download_kbps": 150_000}, "must be below"),
    ({"data_cap_mb": None}, "needs data_cap_mb"),
    ({"burst_time_seconds": None}, "burst_time_seconds"),
    ({"price": "-1"}, "price"),
    ({"price": 19.99}, None),
    ({"price": "12.34567"}, "decimal"),
    ({"billing_cycle": "weekly"}, "billing_cycle"),
    ({"radius_attributes": {"bad name!": "x"}}, "RADIUS attribute"),
])
def test_plan_validation(client: TestClient, admin: StaffUser, change: dict,  # type: ignore[type-arg]
                         message: str | None) -> None:
    response = client.post("/api/v1/plans", headers=admin.headers, json={**PLAN, **change})
    if message is None:
        assert response.status_code == 201  # a JSON number is taken at its written value
        assert response.json()["price"] == "19.99"
    else:
        assert response.status_code == 422, response.text
        assert message in response.json()["detail"]


def test_archived_plans_stay_on_old_subscriptions_but_cannot_be_sold(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant) -> None:
    plan = make_plan(session, tenant)
    sub = make_subscription(session, settings, tenant, plan=plan, status="active")  # type: ignore[arg-type]
    assert client.post(f"/api/v1/plans/{plan.id}/archive",
                       headers=admin.headers).json()["is_archived"] is True
    listed = client.get("/api/v1/plans", headers=admin.headers).json()["items"]
    assert str(plan.id) not in [p["id"] for p in listed]
    everything = client.get("/api/v1/plans", headers=admin.headers,
                            params={"archived": "true"}).json()["items"]
    assert [p["id"] for p in everything] == [str(plan.id)]
    assert client.get(f"/api/v1/subscriptions/{sub.id}",
                      headers=admin.headers).json()["plan_name"] == plan.name
    customer = make_customer(session, tenant)
    refused = client.post("/api/v1/subscriptions", headers=admin.headers,
                          json={"customer_id": str(customer.id), "plan_id": str(plan.id)})
    assert refused.status_code == 422 and "archived" in refused.json()["detail"]


def test_subscription_credentials_are_generated_encrypted_and_shown_to_staff(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    customer = make_customer(session, tenant)
    plan = make_plan(session, tenant)
    created = client.post("/api/v1/subscriptions", headers=admin.headers, json={
        "customer_id": str(customer.id), "plan_id": str(plan.id),
        "service_address_id": str(customer.addresses[0].id)})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "pending" and body["radius_username"] == \
        f"{customer.number.lower()}-1"
    creds = client.get(f"/api/v1/subscriptions/{body['id']}/credentials",
                       headers=admin.headers).json()
    assert len(creds["radius_password"]) == 12
    stored = session.scalars(select(Subscription.radius_password_encrypted)
                             .where(Subscription.id == uuid.UUID(body["id"]))
                             ).one()
    assert creds["radius_password"] not in stored
    reset = client.post(f"/api/v1/subscriptions/{body['id']}/credentials/reset",
                        headers=admin.headers).json()
    assert reset["radius_password"] != creds["radius_password"]
    second = client.post("/api/v1/subscriptions", headers=admin.headers, json={
        "customer_id": str(customer.id), "plan_id": str(plan.id)}).json()
    assert second["radius_username"] == f"{customer.number.lower()}-2"
    taken = client.post("/api/v1/subscriptions", headers=admin.headers, json={
        "customer_id": str(customer.id), "plan_id": str(plan.id),
        "radius_username": body["radius_username"]})
    assert taken.status_code == 409


def test_subscription_input_errors(client: TestClient, admin: StaffUser, session: Session,
                                   settings: Settings, tenant: Tenant) -> None:
    customer = make_customer(session, tenant)
    other = make_customer(session, tenant)
    plan = make_plan(session, tenant)
    foreign_address = client.post("/api/v1/subscriptions", headers=admin.headers, json={
        "customer_id": str(customer.id), "plan_id": str(plan.id),
        "service_address_id": str(other.addresses[0].id)})
    assert foreign_address.status_code == 404
    bad_name = client.post("/api/v1/subscriptions", headers=admin.headers, json={
        "customer_id": str(customer.id), "plan_id": str(plan.id),
        "radius_username": "has spaces"})
    assert bad_name.status_code == 422
    client.post(f"/api/v1/customers/{customer.id}/status", headers=admin.headers,
                json={"status": "closed"})
    closed = client.post("/api/v1/subscriptions", headers=admin.headers, json={
        "customer_id": str(customer.id), "plan_id": str(plan.id)})
    assert closed.status_code == 422 and "closed" in closed.json()["detail"]


def test_plan_change_rules(client: TestClient, admin: StaffUser, session: Session,
                           settings: Settings, tenant: Tenant) -> None:
    sub = make_subscription(session, settings, tenant, status="active")  # type: ignore[arg-type]
    url = f"/api/v1/subscriptions/{sub.id}/change-plan"
    same = client.post(url, headers=admin.headers, json={"plan_id": str(sub.plan_id)})
    assert same.status_code == 409
    voice = make_plan(session, tenant, kind="voice", download_kbps=None, upload_kbps=None)
    assert client.post(url, headers=admin.headers,
                       json={"plan_id": str(voice.id)}).status_code == 422
    bigger = make_plan(session, tenant, download_kbps=300_000, upload_kbps=60_000)
    moved = client.post(url, headers=admin.headers, json={"plan_id": str(bigger.id)})
    assert moved.status_code == 200 and moved.json()["scheduled"] is None
    assert moved.json()["subscription"]["plan_id"] == str(bigger.id)


def test_addons(client: TestClient, admin: StaffUser, session: Session, settings: Settings,
                tenant: Tenant) -> None:
    sub = make_subscription(session, settings, tenant, status="active")  # type: ignore[arg-type]
    ip = client.post("/api/v1/plan-addons", headers=admin.headers, json={
        "name": "Static IPv4", "price": "7.50", "plan_kinds": ["internet"]}).json()
    tv = client.post("/api/v1/plan-addons", headers=admin.headers, json={
        "name": "Sports pack", "price": "9.00", "plan_kinds": ["tv"]}).json()
    url = f"/api/v1/subscriptions/{sub.id}/addons"
    attached = client.post(url, headers=admin.headers, json={"addon_id": ip["id"]})
    assert attached.status_code == 201 and attached.json()["unit_price"] == "7.50"
    wrong = client.post(url, headers=admin.headers, json={"addon_id": tv["id"]})
    assert wrong.status_code == 422 and "not sold with internet" in wrong.json()["detail"]
    removed = client.delete(f"{url}/{attached.json()['id']}", headers=admin.headers)
    assert removed.json()["removed_at"] is not None
    assert len(client.get(url, headers=admin.headers).json()) == 1
