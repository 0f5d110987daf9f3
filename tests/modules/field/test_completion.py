"""Completing an installation brings its pending subscription into service in the same
transaction (history row, IP address, first invoice); a refused activation refuses the
completion; registered completion hooks run with it."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing.models import Invoice
from dotmac_isp.modules.field import hooks, service
from dotmac_isp.modules.field.models import WorkOrder
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.radius import addresses
from dotmac_isp.modules.services.models import Subscription, SubscriptionStatusChange
from tests.modules.field.factories import make_technician, make_work_order, set_checklist, slot
from tests.modules.network.ipam.factories import make_pool
from tests.support.customers import make_customer, make_plan, make_subscription
from tests.support.factories import StaffUser

W = "/api/v1/work-orders"


def _to_site(client: TestClient, admin: StaffUser, tech: StaffUser, order_id: uuid.UUID,
             day: int = 1) -> str:
    url = f"{W}/{order_id}"
    start, end = slot(day, 9)
    assert client.post(f"{url}/schedule", headers=admin.headers, json={
        "technician_id": str(tech.user.id), "window_start": start.isoformat(),
        "window_end": end.isoformat()}).status_code == 200
    for target in ("en_route", "on_site"):
        assert client.post(f"{url}/status", headers=tech.headers,
                           json={"status": target}).status_code == 200
    return url


def test_installation_done_activates_the_pending_subscription(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant) -> None:
    set_checklist(session, tenant, "installation", [("Mount the ONT", True)])
    pool = make_pool(session, tenant, "100.64.40.0/29", name="field-install")
    customer = make_customer(session, tenant)
    sub = make_subscription(session, settings, tenant, customer=customer,
                            plan=make_plan(session, tenant, ipv4_pool_id=str(pool.id)))
    order = make_work_order(session, tenant, customer=customer, kind="installation",
                            subscription_id=sub.id)
    tech = make_technician(session, settings, tenant)
    url = _to_site(client, admin, tech, order.id)
    item = client.get(f"{url}/checklist", headers=tech.headers).json()[0]
    client.post(f"{url}/checklist/{item['id']}", headers=tech.headers, json={"done": True})
    done = client.post(f"{url}/status", headers=tech.headers, json={"status": "done"})
    assert done.status_code == 200, done.text
    session.expire_all()
    assert session.get(Subscription, sub.id).status == "active"  # type: ignore[union-attr]
    moves = session.scalars(select(SubscriptionStatusChange).where(
        SubscriptionStatusChange.subscription_id == sub.id)
        .order_by(SubscriptionStatusChange.effective_at)).all()
    assert [(m.from_status, m.to_status) for m in moves][-2:] == [
        ("pending", "provisioning"), ("provisioning", "active")]
    assert moves[-1].reason == f"installed: work order {order.number} done"
    assert moves[-1].actor_label == tech.user.email
    ipv4, _ = addresses.addresses_for(session, tenant.id, sub.id)
    assert ipv4 is not None and ipv4.startswith("100.64.40.")
    invoices = session.scalars(select(Invoice).where(Invoice.customer_id == customer.id)).all()
    assert len(invoices) == 1 and invoices[0].status in ("issued", "paid")


def test_a_refused_activation_refuses_the_completion_and_keeps_nothing(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant) -> None:
    pool = make_pool(session, tenant, "100.64.41.0/30", name="field-tiny")  # two addresses
    plan = make_plan(session, tenant, ipv4_pool_id=str(pool.id))
    for _ in range(2):
        filler = make_subscription(session, settings, tenant, plan=plan)
        client.post(f"/api/v1/subscriptions/{filler.id}/status", headers=admin.headers,
                    json={"status": "active"})
    customer = make_customer(session, tenant)
    sub = make_subscription(session, settings, tenant, customer=customer, plan=plan)
    order = make_work_order(session, tenant, customer=customer, kind="installation",
                            subscription_id=sub.id)
    tech = make_technician(session, settings, tenant)
    url = _to_site(client, admin, tech, order.id)
    refused = client.post(f"{url}/status", headers=tech.headers, json={"status": "done"})
    assert refused.status_code == 409 and "pool" in refused.json()["detail"]
    session.expire_all()
    assert session.get(WorkOrder, order.id).status == "on_site"  # type: ignore[union-attr]
    assert session.get(Subscription, sub.id).status == "pending"  # type: ignore[union-attr]
    moves = client.get(f"{url}/history", headers=admin.headers).json()["items"]
    assert moves[-1]["to_status"] == "on_site"


def test_completion_hooks_run_in_the_completing_transaction(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant) -> None:
    seen: list[tuple[str, str]] = []

    def record(_session: Session, work_order: WorkOrder) -> None:
        seen.append((work_order.number, work_order.status))

    hooks.on_completion(record)
    try:
        order = make_work_order(session, tenant, kind="repair")
        tech = make_technician(session, settings, tenant)
        url = _to_site(client, admin, tech, order.id)
        client.post(f"{url}/status", headers=tech.headers, json={"status": "failed"})
        assert seen == []  # a failed visit is not a completion
        second = make_work_order(session, tenant, kind="repair")
        url = _to_site(client, admin, tech, second.id, day=2)
        assert client.post(f"{url}/status", headers=tech.headers,
                           json={"status": "done"}).status_code == 200
        assert seen == [(second.number, "done")]
        assert service.get_work_order(session, tenant.id, second.id).completed_at
    finally:
        hooks.remove(record)
