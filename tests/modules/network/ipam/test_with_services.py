"""Real lifecycle moves (not replayed events): activation takes an address from the plan's
pool, termination holds it, and an exhausted pool refuses the activation with a clear 409."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from tests.modules.network.ipam.factories import make_pool
from tests.support.customers import make_plan, make_subscription
from tests.support.factories import StaffUser


def test_activation_and_termination_through_the_api(client: TestClient, admin: StaffUser,
                                                    session: Session, settings: Settings,
                                                    tenant: Tenant) -> None:
    pool = make_pool(session, tenant, "100.64.10.0/30", name="tiny")  # two usable addresses
    plan = make_plan(session, tenant, ipv4_pool_id=str(pool.id))
    first = make_subscription(session, settings, tenant, plan=plan)
    second = make_subscription(session, settings, tenant, plan=plan)
    third = make_subscription(session, settings, tenant, plan=plan)
    for sub in (first, second):
        ok = client.post(f"/api/v1/subscriptions/{sub.id}/status", headers=admin.headers,
                         json={"status": "active"})
        assert ok.status_code == 200, ok.text
    found = client.get("/api/v1/ipam/subscription-addresses", headers=admin.headers,
                       params={"subscription_id": str(first.id)}).json()
    assert found["ipv4_address"] in ("100.64.10.1", "100.64.10.2")
    full = client.post(f"/api/v1/subscriptions/{third.id}/status", headers=admin.headers,
                       json={"status": "active"})
    assert full.status_code == 409 and "pool" in full.json()["detail"]
    assert client.get(f"/api/v1/subscriptions/{third.id}",
                      headers=admin.headers).json()["status"] == "pending"


def test_radius_takes_the_subscribers_addresses_from_ipam(session: Session, settings: Settings,
                                                         tenant: Tenant) -> None:
    from dotmac_isp.modules.network.radius import addresses
    from dotmac_isp.modules.services import lifecycle
    from dotmac_isp.modules.services.enums import SubscriptionStatus

    v4 = make_pool(session, tenant, "100.64.30.0/29", name="radius-v4")
    plan = make_plan(session, tenant, ipv4_pool_id=str(v4.id))
    sub = make_subscription(session, settings, tenant, plan=plan)
    assert addresses.addresses_for(session, tenant.id, sub.id) == (None, None)
    lifecycle.activate(session, tenant.id, sub.id)
    ipv4, _ = addresses.addresses_for(session, tenant.id, sub.id)
    assert ipv4 is not None and ipv4.startswith("100.64.30.")
    lifecycle.transition(session, tenant.id, sub.id, SubscriptionStatus.TERMINATED)
    assert addresses.addresses_for(session, tenant.id, sub.id) == (None, None)  # held, not live
