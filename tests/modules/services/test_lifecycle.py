"""The subscription state machine: every legal and illegal move, history rows, events,
scheduled changes and the job that applies them."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.services import events, lifecycle, tasks
from dotmac_isp.modules.services.enums import TRANSITIONS, SubscriptionStatus
from dotmac_isp.shared.events import DomainEvent, subscribe
from dotmac_isp.shared.events import _handlers as registered_handlers
from dotmac_isp.shared.types import utcnow
from tests.conftest import RollbackDatabase
from tests.modules.network.ipam.factories import make_pool
from tests.support.customers import make_plan, make_subscription
from tests.support.factories import StaffUser

S = SubscriptionStatus
ALL = list(SubscriptionStatus)


@pytest.fixture
def published() -> Iterator[list[DomainEvent]]:
    seen: list[DomainEvent] = []

    def record(_session: Session, event: DomainEvent) -> None:
        seen.append(event)

    subscribe(events.SubscriptionEvent, record)
    yield seen
    registered_handlers[events.SubscriptionEvent].remove(record)


def status_url(sub_id: object) -> str:
    return f"/api/v1/subscriptions/{sub_id}/status"


def legal(current: SubscriptionStatus, target: SubscriptionStatus) -> bool:
    # Asking for active from pending or failed goes through provisioning.
    return target in TRANSITIONS[current] or (target == S.ACTIVE and current in (S.PENDING,
                                                                                 S.FAILED))


@pytest.mark.parametrize(("current", "target"), list(itertools.product(ALL, ALL)),
                         ids=lambda s: s.value)
def test_every_transition(client: TestClient, admin: StaffUser, session: Session,
                          settings: Settings, tenant: Tenant, current: SubscriptionStatus,
                          target: SubscriptionStatus) -> None:
    sub = make_subscription(session, settings, tenant, status=current)
    before = client.get(f"/api/v1/subscriptions/{sub.id}/history",
                        headers=admin.headers).json()["total"]
    response = client.post(status_url(sub.id), headers=admin.headers,
                           json={"status": target.value, "reason": "test", "notify": True})
    after = client.get(f"/api/v1/subscriptions/{sub.id}", headers=admin.headers).json()
    history = client.get(f"/api/v1/subscriptions/{sub.id}/history",
                         headers=admin.headers).json()
    if legal(current, target):
        assert response.status_code == 200, response.text
        assert after["status"] == target.value
        last = history["items"][-1]
        assert (last["to_status"], last["reason"], last["notify"]) == (target.value, "test",
                                                                       True)
        assert last["actor_label"] == admin.user.email and last["actor_type"] == "user"
        steps = 2 if target not in TRANSITIONS[current] else 1
        assert history["total"] == before + steps
    else:
        assert response.status_code == 409, response.text
        body = response.json()
        assert body["error"] == "illegal_transition"
        assert current.value in body["detail"] and (target.value in body["detail"])
        assert after["status"] == current.value
        assert history["total"] == before


def test_history_tells_the_whole_story(client: TestClient, admin: StaffUser,
                                       session: Session, settings: Settings,
                                       tenant: Tenant) -> None:
    sub = make_subscription(session, settings, tenant)
    for status, reason in (("active", "installed"), ("suspended", "unpaid invoice"),
                           ("active", "paid"), ("terminated", "moved away")):
        client.post(status_url(sub.id), headers=admin.headers,
                    json={"status": status, "reason": reason})
    items = client.get(f"/api/v1/subscriptions/{sub.id}/history",
                       headers=admin.headers).json()["items"]
    moves = [(i["from_status"], i["to_status"], i["reason"]) for i in items]
    assert moves == [(None, "pending", "created"), ("pending", "provisioning", "installed"),
                     ("provisioning", "active", "installed"),
                     ("active", "suspended", "unpaid invoice"), ("suspended", "active", "paid"),
                     ("active", "terminated", "moved away")]
    detail = client.get(f"/api/v1/subscriptions/{sub.id}", headers=admin.headers).json()
    assert detail["terminated_at"] and detail["activated_at"] and detail["suspended_at"] is None


def test_events_on_every_business_transition(client: TestClient, admin: StaffUser,
                                             session: Session, settings: Settings,
                                             tenant: Tenant,
                                             published: list[DomainEvent]) -> None:
    pool = str(make_pool(session, tenant, "100.64.20.0/24", name="lifecycle").id)
    plan = make_plan(session, tenant, ipv4_pool_id=pool)
    bigger = make_plan(session, tenant, download_kbps=100_000, upload_kbps=20_000)
    sub = make_subscription(session, settings, tenant, plan=plan)
    for status in ("active", "suspended", "active"):
        client.post(status_url(sub.id), headers=admin.headers, json={"status": status})
    client.post(f"/api/v1/subscriptions/{sub.id}/change-plan", headers=admin.headers,
                json={"plan_id": str(bigger.id)})
    client.post(status_url(sub.id), headers=admin.headers,
                json={"status": "terminated", "reason": "cancelled"})
    kinds = [type(e).__name__ for e in published]
    assert kinds == ["SubscriptionActivated", "SubscriptionSuspended", "SubscriptionRestored",
                     "SubscriptionPlanChanged", "SubscriptionTerminated"]
    activated, _, _, changed, terminated = published
    assert isinstance(changed, events.SubscriptionPlanChanged)
    assert activated.subscription_id == sub.id and str(activated.ipv4_pool_id) == pool  # type: ignore[attr-defined]
    assert changed.old_plan_id == plan.id and changed.plan_id == bigger.id
    assert str(changed.old_ipv4_pool_id) == pool and changed.ipv4_pool_id is None
    assert isinstance(terminated, events.SubscriptionTerminated)
    assert terminated.reason == "cancelled" and terminated.tenant_id == tenant.id


def test_first_activation_makes_a_lead_an_active_customer(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant) -> None:
    sub = make_subscription(session, settings, tenant)
    customer_url = f"/api/v1/customers/{sub.customer_id}"
    assert client.get(customer_url, headers=admin.headers).json()["status"] == "lead"
    client.post(status_url(sub.id), headers=admin.headers, json={"status": "active"})
    assert client.get(customer_url, headers=admin.headers).json()["status"] == "active"


def run_job(db: RollbackDatabase, settings: Settings, when):  # type: ignore[no-untyped-def]
    return tasks.apply_scheduled_changes(JobContext(db, settings, when))  # type: ignore[arg-type]


def test_future_suspension_is_scheduled_and_applied_once_by_the_job(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant, db: RollbackDatabase, published: list[DomainEvent]) -> None:
    sub = make_subscription(session, settings, tenant, status=S.ACTIVE)
    published.clear()
    when = utcnow() + timedelta(days=2)
    response = client.post(status_url(sub.id), headers=admin.headers, json={
        "status": "suspended", "reason": "customer travelling", "effective_at": when.isoformat()})
    assert response.status_code == 200
    body = response.json()
    assert body["subscription"]["status"] == "active"
    assert body["scheduled"]["state"] == "pending"
    assert body["scheduled"]["requested_by"] == admin.user.email
    assert run_job(db, settings, utcnow()) == "0 applied, 0 failed"
    assert run_job(db, settings, when + timedelta(minutes=1)) == "1 applied, 0 failed"
    assert run_job(db, settings, when + timedelta(minutes=2)) == "0 applied, 0 failed"
    detail = client.get(f"/api/v1/subscriptions/{sub.id}", headers=admin.headers).json()
    assert detail["status"] == "suspended" and detail["suspend_reason"] == "customer travelling"
    last = client.get(f"/api/v1/subscriptions/{sub.id}/history",
                      headers=admin.headers).json()["items"][-1]
    assert last["effective_at"][:16] == when.isoformat()[:16]
    assert last["actor_label"] == f"schedule by {admin.user.email}"
    assert [type(e).__name__ for e in published] == ["SubscriptionSuspended"]


def test_future_activation_and_plan_change(client: TestClient, admin: StaffUser,
                                           session: Session, settings: Settings,
                                           tenant: Tenant, db: RollbackDatabase) -> None:
    sub = make_subscription(session, settings, tenant)
    bigger = make_plan(session, tenant, download_kbps=200_000, upload_kbps=50_000)
    when = utcnow() + timedelta(days=1)
    client.post(status_url(sub.id), headers=admin.headers,
                json={"status": "active", "effective_at": when.isoformat()})
    change = client.post(f"/api/v1/subscriptions/{sub.id}/change-plan", headers=admin.headers,
                         json={"plan_id": str(bigger.id),
                               "effective_at": (when + timedelta(days=30)).isoformat()})
    assert change.json()["scheduled"]["action"] == "change_plan"
    assert run_job(db, settings, when + timedelta(seconds=1)) == "1 applied, 0 failed"
    detail = client.get(f"/api/v1/subscriptions/{sub.id}", headers=admin.headers).json()
    assert detail["status"] == "active" and detail["plan_id"] == str(sub.plan_id)
    assert run_job(db, settings, when + timedelta(days=31)) == "1 applied, 0 failed"
    detail = client.get(f"/api/v1/subscriptions/{sub.id}", headers=admin.headers).json()
    assert detail["plan_id"] == str(bigger.id)


def test_a_scheduled_change_that_became_impossible_fails_with_a_reason(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant, db: RollbackDatabase) -> None:
    sub = make_subscription(session, settings, tenant, status=S.ACTIVE)
    when = utcnow() + timedelta(days=5)
    client.post(status_url(sub.id), headers=admin.headers,
                json={"status": "suspended", "effective_at": when.isoformat()})
    client.post(status_url(sub.id), headers=admin.headers, json={"status": "terminated"})
    assert run_job(db, settings, when + timedelta(seconds=1)) == "0 applied, 1 failed"
    changes = client.get(f"/api/v1/subscriptions/{sub.id}/scheduled-changes",
                         headers=admin.headers).json()["items"]
    assert changes[0]["state"] == "failed" and "terminated" in changes[0]["error"]


def test_cancel_a_scheduled_change(client: TestClient, admin: StaffUser, session: Session,
                                   settings: Settings, tenant: Tenant,
                                   db: RollbackDatabase) -> None:
    sub = make_subscription(session, settings, tenant, status=S.ACTIVE)
    when = utcnow() + timedelta(days=5)
    scheduled = client.post(status_url(sub.id), headers=admin.headers, json={
        "status": "terminated", "effective_at": when.isoformat()}).json()["scheduled"]
    url = f"/api/v1/subscriptions/{sub.id}/scheduled-changes/{scheduled['id']}"
    assert client.delete(url, headers=admin.headers).json()["state"] == "cancelled"
    assert client.delete(url, headers=admin.headers).status_code == 409
    assert run_job(db, settings, when + timedelta(seconds=1)) == "0 applied, 0 failed"


def test_scheduling_an_impossible_change_is_refused_now(client: TestClient, admin: StaffUser,
                                                        session: Session, settings: Settings,
                                                        tenant: Tenant) -> None:
    sub = make_subscription(session, settings, tenant)
    response = client.post(status_url(sub.id), headers=admin.headers, json={
        "status": "suspended", "effective_at": (utcnow() + timedelta(days=1)).isoformat()})
    assert response.status_code == 409


def test_backdating_is_limited(client: TestClient, admin: StaffUser, session: Session,
                              settings: Settings, tenant: Tenant) -> None:
    sub = make_subscription(session, settings, tenant)
    lifecycle.activate(session, tenant.id, sub.id, effective_at=utcnow() - timedelta(days=5))
    old = client.post(status_url(sub.id), headers=admin.headers, json={
        "status": "suspended", "effective_at": (utcnow() - timedelta(days=60)).isoformat()})
    assert old.status_code == 422 and "31 days" in old.json()["detail"]
    before_activation = client.post(status_url(sub.id), headers=admin.headers, json={
        "status": "suspended", "effective_at": (utcnow() - timedelta(days=6)).isoformat()})
    assert before_activation.status_code == 422
    assert "before the subscription's last change" in before_activation.json()["detail"]
    recent = client.post(status_url(sub.id), headers=admin.headers, json={
        "status": "suspended", "effective_at": (utcnow() - timedelta(days=2)).isoformat()})
    assert recent.status_code == 200
