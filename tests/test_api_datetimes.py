"""Every date-time the API takes, at the ends of the calendar in every UTC offset: a 4xx with
a message, never a 5xx. The operations are found from the OpenAPI document."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.services.enums import SubscriptionStatus
from tests.modules.field.factories import make_technician, make_work_order
from tests.modules.network.devices.factories import make_device, make_interface
from tests.support.customers import make_plan, make_subscription
from tests.support.factories import StaffUser

OFFSETS = [f"{'+' if h >= 0 else '-'}{abs(h):02d}:00" for h in range(-14, 15)]
EXTREMES = [f"0001-01-01T00:00:00{o}" for o in OFFSETS] + \
           [f"9999-12-31T23:59:59{o}" for o in OFFSETS] + ["9999-12-31T23:59:59.999999Z"]
# The first and last instants accepted: a day clear of the calendar's ends in UTC.
EDGES = ["0001-01-02T00:00:00Z", "0001-01-02T14:00:00+14:00", "9999-12-30T23:59:59Z",
         "9999-12-30T09:59:59-14:00"]
ORDINARY = "2030-01-01T00:00:00Z"


def _date_time_fields(schema: dict[str, Any], components: dict[str, Any]) -> list[str]:
    """The names of the top-level date-time fields of a body schema."""
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return [name for name, prop in schema.get("properties", {}).items()
            if _is_date_time(prop)]


def _is_date_time(schema: dict[str, Any]) -> bool:
    return schema.get("format") == "date-time" or any(
        _is_date_time(s) for s in schema.get("anyOf", []) + schema.get("oneOf", []))


def date_time_operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, list]]:
    """(method, path) -> {"query": [names], "body": [names]} for every operation that takes
    a date-time in its query or its JSON body (each field of a request gets the same value)."""
    components = document.get("components", {}).get("schemas", {})
    found: dict[tuple[str, str], dict[str, list]] = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            query = [p["name"] for p in operation.get("parameters", [])
                     if p["in"] == "query" and _is_date_time(p.get("schema", {}))]
            content = operation.get("requestBody", {}).get("content", {})
            body = _date_time_fields(content.get("application/json", {}).get("schema", {}),
                                     components)
            if query or body:
                found[(method.upper(), path)] = {"query": query, "body": body}
    return found


def test_extreme_date_times_get_a_4xx_never_a_5xx(client: TestClient, admin: StaffUser,
                                                   session: Session, settings: Settings,
                                                   tenant: Tenant) -> None:
    subscription = make_subscription(session, settings, tenant,
                                     status=SubscriptionStatus.ACTIVE)
    other_plan = make_plan(session, tenant)
    device = make_device(session, settings, tenant)
    interface = make_interface(session, device)
    window = client.post("/api/v1/maintenance-windows", headers=admin.headers, json={
        "name": "upgrade", "starts_at": ORDINARY, "ends_at": "2030-01-02T00:00:00Z"})
    assert window.status_code == 201, window.text
    technician = make_technician(session, settings, tenant)
    work_order = make_work_order(session, tenant)
    ids = {"subscription_id": subscription.id, "device_id": device.id,
           "interface_id": interface.id, "window_id": window.json()["id"],
           "work_order_id": work_order.id}
    # The rest of a valid request for each operation, so the date-time reaches the service.
    bodies: dict[tuple[str, str], dict[str, Any]] = {
        ("POST", "/api/v1/api-keys"): {"name": "edge", "scopes": ["users:read"]},
        ("GET", "/api/v1/audit-log"): {},
        ("POST", "/api/v1/subscriptions/{subscription_id}/status"): {"status": "suspended"},
        ("POST", "/api/v1/subscriptions/{subscription_id}/change-plan"): {
            "plan_id": str(other_plan.id)},
        ("GET", "/api/v1/ipam/history"): {},
        ("GET", "/api/v1/devices/{device_id}/metrics"): {},
        ("GET", "/api/v1/interfaces/{interface_id}/traffic"): {},
        ("GET", "/api/v1/maintenance-windows"): {},
        ("POST", "/api/v1/maintenance-windows"): {"name": "upgrade"},
        ("PATCH", "/api/v1/maintenance-windows/{window_id}"): {},
        ("POST", "/api/v1/work-orders/{work_order_id}/schedule"): {
            "technician_id": str(technician.user.id)},
    }
    operations = date_time_operations(client.get("/api/v1/openapi.json").json())
    assert set(operations) <= set(bodies), \
        f"give these operations a base request: {set(operations) - set(bodies)}"
    assert len(operations) >= 8
    failures, refused = [], 0
    for (method, path), fields in operations.items():
        url = path.format(**ids)
        for moment in EXTREMES + EDGES:
            query = dict.fromkeys(fields["query"], moment)
            body = {**bodies[(method, path)], **dict.fromkeys(fields["body"], moment)}
            response = client.request(method, url, headers=admin.headers, params=query,
                                      json=body if method != "GET" else None)
            if response.status_code >= 500:
                failures.append(f"{method} {path} {moment}: {response.status_code} "
                                f"{response.text[:120]}")
            elif moment in EXTREMES:
                refused += 1
                assert response.status_code == 422, (method, path, moment, response.text)
                assert "out of range" in response.json()["detail"], response.text
    assert failures == []
    assert refused == len(operations) * len(EXTREMES)


def test_an_out_of_range_moment_is_refused_with_a_message(client: TestClient,
                                                          admin: StaffUser) -> None:
    late = client.get("/api/v1/audit-log", headers=admin.headers,
                      params={"until": "9999-12-31T23:59:59-14:00"})
    assert late.status_code == 422
    assert "until: " in late.json()["detail"] and "out of range" in late.json()["detail"]
    early = client.get("/api/v1/audit-log", headers=admin.headers,
                       params={"since": "0001-01-01T00:00:00+14:00"})
    assert early.status_code == 422 and "since: " in early.json()["detail"]
    key = client.post("/api/v1/api-keys", headers=admin.headers, json={
        "name": "edge", "scopes": ["users:read"], "expires_at": "9999-12-31T23:59:59-14:00"})
    assert key.status_code == 422 and "expires_at" in key.json()["detail"]
    fine = client.get("/api/v1/audit-log", headers=admin.headers,
                      params={"since": "2020-01-01T00:00:00+14:00",
                              "until": "2030-01-01T00:00:00"})
    assert fine.status_code == 200, fine.text
