"""Changes dated in the past take effect on that date (and are billed from it), within the
backdating window and never before the subscription's last change."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing import run
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.services import schemas, service
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.shared.errors import ValidationFailed
from tests.conftest import RollbackDatabase
from tests.modules.billing.helpers import money, world
from tests.support.customers import make_plan, make_subscription
from tests.support.factories import StaffUser

NOW = datetime(2026, 5, 6, 10, 0, tzinfo=UTC)


def test_backdated_upgrade_is_prorated_from_its_date_across_billed_periods(
        session: Session, settings: Settings, tenant: Tenant, db: RollbackDatabase,
        monkeypatch: pytest.MonkeyPatch) -> None:
    w = world(session, settings, tenant)  # 30.00 monthly, billing day 1, prepaid, no tax
    bigger = make_plan(session, tenant, price=Decimal("60.00"))
    sub = w.subscribe(date(2026, 4, 1))  # April billed on activation: 30.00
    run.run(db, tenant.id, date(2026, 5, 1))  # type: ignore[arg-type]  # May: 30.00
    assert w.lines() == [("subscription", money("30.00")), ("subscription", money("30.00"))]
    monkeypatch.setattr(service, "utcnow", lambda: NOW)
    dated = datetime(2026, 4, 21, 9, 0, tzinfo=UTC)
    changed, scheduled = service.change_plan(session, tenant.id, sub.id, schemas.PlanChangeRequest(
        plan_id=bigger.id, reason="upgrade agreed on the phone", effective_at=dated))
    assert scheduled is None and changed.plan_id == bigger.id
    [change] = service.plan_changes(session, tenant.id, sub.id)
    assert change.effective_at == dated
    # April: 10 of 30 days remain from the 21st -> 30 x 10/30 = 10.00 back, 60 x 10/30 = 20.00
    # May (31 days, already billed in full): 30.00 back, 60.00 charged
    assert w.credit_notes() == [money("10.00"), money("30.00")]
    assert w.lines()[-2:] == [("proration", money("20.00")), ("proration", money("60.00"))]


def test_backdating_too_far_or_before_the_last_change_is_refused(
        session: Session, settings: Settings, tenant: Tenant,
        monkeypatch: pytest.MonkeyPatch) -> None:
    w = world(session, settings, tenant)
    bigger = make_plan(session, tenant, price=Decimal("60.00"))
    sub = w.subscribe(date(2026, 4, 10))  # activated 10:00 UTC on 10 April
    monkeypatch.setattr(service, "utcnow", lambda: NOW)
    cases = [
        (datetime(2026, 4, 4, tzinfo=UTC), "backdated by at most 31 days"),
        (datetime(2026, 4, 9, tzinfo=UTC), "is before the subscription's last change "
                                           "(2026-04-10 10:00 UTC)"),
    ]
    for when, message in cases:
        with pytest.raises(ValidationFailed, match=re.escape(message)):
            service.change_plan(session, tenant.id, sub.id, schemas.PlanChangeRequest(
                plan_id=bigger.id, effective_at=when))
        with pytest.raises(ValidationFailed, match=re.escape(message)):
            service.request_status(session, tenant.id, sub.id, schemas.ServiceStatusUpdate(
                status=SubscriptionStatus.SUSPENDED, reason="x", effective_at=when))
    assert len(w.invoices()) == 1 and w.credit_notes() == []


def test_api_refuses_a_plan_change_dated_before_activation(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant) -> None:
    sub = make_subscription(session, settings, tenant, status=SubscriptionStatus.ACTIVE)
    other = make_plan(session, tenant)
    url = f"/api/v1/subscriptions/{sub.id}/change-plan"
    now = datetime.now(UTC)
    early = client.post(url, headers=admin.headers, json={
        "plan_id": str(other.id), "effective_at": (now - timedelta(days=2)).isoformat()})
    assert early.status_code == 422 and "last change" in early.json()["detail"]
    old = client.post(url, headers=admin.headers, json={
        "plan_id": str(other.id), "effective_at": (now - timedelta(days=40)).isoformat()})
    assert old.status_code == 422 and "at most 31 days" in old.json()["detail"]
    assert client.get(f"/api/v1/subscriptions/{sub.id}",
                      headers=admin.headers).json()["plan_id"] == str(sub.plan_id)
