"""Ids in request bodies: another tenant's real id and an id that never existed get the same
422 "<field>: no such <thing>", so the answer tells nothing about other tenants' rows.

Each case names the body field, the tenant-A object whose id tenant B sends there (built by the
factories of tests/modules/<domain>/objects.py), and the thing the message names. Path
parameters and "{param}" values in the body are tenant B's own objects.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from tests.modules.network.devices.factories import make_device
from tests.support.factories import StaffUser
from tests.support.tenant_objects import ObjectContext, load_all, tenant_object


@tenant_object("cpe_id")
def cpe(ctx: ObjectContext) -> str:
    return str(make_device(ctx.session, ctx.settings, ctx.tenant, "a-cpe", device_type="cpe").id)


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    field: str
    param: str  # the tenant-A object sent in `field`
    thing: str
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.method} {self.path} {self.field}"


_DEV = {"name": "b-cpe", "device_type": "cpe"}
_PLAN = {"name": "b-plan", "price": "10.00", "download_kbps": 1000, "upload_kbps": 500}
_TICKET_REFS = [("subscription_id", "subscription_id", "subscription"),
                ("device_id", "device_id", "device"),
                ("assignee_id", "user_id", "staff user"),
                ("team_id", "team_id", "team")]
CASES = [
    Case("POST", "/api/v1/devices", "site_id", "site_id", "site", _DEV),
    Case("POST", "/api/v1/devices", "parent_device_id", "device_id", "device", _DEV),
    Case("POST", "/api/v1/devices", "subscription_id", "subscription_id", "subscription", _DEV),
    Case("PATCH", "/api/v1/devices/{device_id}", "site_id", "site_id", "site"),
    Case("PATCH", "/api/v1/devices/{device_id}", "parent_device_id", "device_id", "device"),
    Case("PATCH", "/api/v1/devices/{cpe_id}", "subscription_id", "subscription_id",
         "subscription"),
    *[Case("POST", path, ref, ref, ref.removesuffix("_id"), body)
      for path, body in [
          ("/api/v1/alert-rules", {"name": "b-rule", "metric": "cpu_pct", "threshold": 90}),
          ("/api/v1/maintenance-windows", {"name": "b-window",
                                           "starts_at": "2030-01-01T00:00:00Z",
                                           "ends_at": "2030-01-02T00:00:00Z"})]
      for ref in ("device_id", "site_id")],
    Case("POST", "/api/v1/ipam/prefixes", "vrf_id", "vrf_id", "VRF",
         {"network": "10.77.0.0/16", "role": "infrastructure"}),
    Case("POST", "/api/v1/ipam/pools", "prefix_id", "prefix_id", "prefix", {"name": "b-pool"}),
    Case("POST", "/api/v1/ipam/pools/{pool_id}/allocations", "holder_id", "subscription_id",
         "subscription", {"holder_type": "subscription"}),
    Case("POST", "/api/v1/ipam/pools/{pool_id}/allocations", "holder_id", "interface_id",
         "device interface", {"holder_type": "device_interface"}),
    Case("PATCH", "/api/v1/ipam/allocations/{allocation_id}", "holder_id", "subscription_id",
         "subscription", {"holder_type": "subscription"}),
    Case("PATCH", "/api/v1/ipam/allocations/{allocation_id}", "holder_id", "interface_id",
         "device interface", {"holder_type": "device_interface"}),
    *[Case("POST", "/api/v1/support/tickets", ref, param, thing,
           {"customer_id": "{customer_id}", "subject": "x", "description": "y"})
      for ref, param, thing in [*_TICKET_REFS, ("incident_id", "incident_id", "incident")]],
    Case("POST", "/api/v1/support/tickets", "customer_id", "customer_id", "customer",
         {"subject": "x", "description": "y"}),
    *[Case("PATCH", "/api/v1/support/tickets/{ticket_id}", ref, param, thing)
      for ref, param, thing in _TICKET_REFS],
    Case("POST", "/api/v1/support/tickets/{ticket_id}/merge", "into_ticket_id", "ticket_id",
         "ticket"),
    Case("PUT", "/api/v1/support/tickets/{ticket_id}/incident", "incident_id", "incident_id",
         "incident"),
    Case("POST", "/api/v1/support/incident-tickets/resolve", "incident_id", "incident_id",
         "incident", {"reply": "fixed"}),
    Case("POST", "/api/v1/support/sla-policies", "calendar_id", "calendar_id", "calendar",
         {"name": "b-policy"}),
    Case("PUT", "/api/v1/support/sla-policies/{policy_id}", "calendar_id", "calendar_id",
         "calendar", {"name": "b-policy"}),
    *[Case("POST", "/api/v1/support/escalation-rules", ref, param, thing,
           {"name": "b-rule", "trigger": "breached"})
      for ref, param, thing in [("policy_id", "policy_id", "SLA policy"),
                                ("reassign_team_id", "team_id", "team"),
                                ("reassign_user_id", "user_id", "staff user")]],
    *[Case("POST", "/api/v1/plans", ref, "pool_id", "pool", _PLAN)
      for ref in ("ipv4_pool_id", "ipv6_pd_pool_id")],
    Case("POST", "/api/v1/payments", "customer_id", "customer_id", "customer",
         {"method": "cash", "amount": "10.00", "currency": "USD"}),
    Case("POST", "/api/v1/invoices", "customer_id", "customer_id", "customer",
         {"lines": [{"description": "install", "unit_price": "10.00"}]}),
    Case("POST", "/api/v1/bank-lines/{bank_line_id}/match", "customer_id", "customer_id",
         "customer"),
]


def _fill(value: Any, ctx: ObjectContext) -> Any:
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ctx.need(value[1:-1])
    if isinstance(value, dict):
        return {k: _fill(v, ctx) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ctx) for v in value]
    return value


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_another_tenants_id_and_a_random_id_get_the_same_422(
        case: Case, client: TestClient, admin: StaffUser, other_admin: StaffUser,
        session: Session, settings: Settings, tenant: Tenant, other_tenant: Tenant) -> None:
    load_all()
    theirs = ObjectContext(client, admin, session, settings, tenant)
    ours = ObjectContext(client, other_admin, session, settings, other_tenant)
    url = case.path
    for param in [p.split("}")[0] for p in case.path.split("{")[1:]]:
        url = url.replace(f"{{{param}}}", ours.need(param))
    answers = []
    for sent in (theirs.need(case.param), str(uuid.uuid4())):
        body = {**_fill(case.body, ours), case.field: sent}
        response = client.request(case.method, url, headers=other_admin.headers, json=body)
        answers.append((response.status_code, response.json()))
    expected = (422, {"error": "validation_failed", "detail": f"{case.field}: no such "
                                                              f"{case.thing}"})
    assert answers == [expected, expected]


def test_an_other_holder_names_no_id(client: TestClient, admin: StaffUser, session: Session,
                                     settings: Settings, tenant: Tenant) -> None:
    load_all()
    ctx = ObjectContext(client, admin, session, settings, tenant)
    response = client.post(f"/api/v1/ipam/pools/{ctx.need('pool_id')}/allocations",
                           headers=admin.headers,
                           json={"holder_type": "other", "holder_id": ctx.need("customer_id")})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("holder_id: an \"other\" holder has no id")


def test_a_plan_names_a_pool_of_the_right_kind(client: TestClient, admin: StaffUser,
                                               session: Session, settings: Settings,
                                               tenant: Tenant) -> None:
    load_all()
    ctx = ObjectContext(client, admin, session, settings, tenant)
    ipv4_pool = ctx.need("pool_id")
    wrong = client.post("/api/v1/plans", headers=admin.headers,
                        json={**_PLAN, "ipv6_pd_pool_id": ipv4_pool})
    assert wrong.status_code == 422
    assert wrong.json()["detail"] == ("ipv6_pd_pool_id: pool 'tenant-a-pool' is not an IPv6 "
                                      "prefix-delegation pool")
    right = client.post("/api/v1/plans", headers=admin.headers,
                        json={**_PLAN, "ipv4_pool_id": ipv4_pool})
    assert right.status_code == 201 and right.json()["ipv4_pool_id"] == ipv4_pool
