"""Jobs that walk tenants: one tenant whose work raises is rolled back, logged with its id
and named in the job's summary; the tenants after it are still processed."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.jobs import registry
from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.modules.billing import dunning, run, setup
from dotmac_isp.modules.billing.models import BillingRun, DunningAction
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.notifications.models import Delivery
from dotmac_isp.modules.services import schemas, service
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.modules.services.models import ScheduledChange, Subscription
from tests.conftest import RollbackDatabase
from tests.modules.billing.helpers import World, world

DUNNING = {"reminder_days": [3], "final_notice_days": 10, "suspend_after_days": 14,
           "no_suspend_weekdays": [], "holidays": []}


def job(db: RollbackDatabase, settings: Settings, name: str, now: datetime | None = None,
        **params: Any) -> str:
    ctx = JobContext(db, settings, now or datetime.now(UTC), params)  # type: ignore[arg-type]
    return registry.run(name, ctx)


def failing_for(tenant_id: uuid.UUID, real: Any) -> Any:
    def wrapper(session: Session, tid: uuid.UUID, *args: Any, **kwargs: Any) -> Any:
        if tid == tenant_id:
            raise RuntimeError("boom in this tenant")
        return real(session, tid, *args, **kwargs)
    return wrapper


def overdue_worlds(session: Session, settings: Settings, tenant: Tenant,
                   other_tenant: Tenant) -> tuple[World, World]:
    first = world(session, settings, tenant, payment_terms_days=0, dunning=DUNNING)
    second = world(session, settings, other_tenant, payment_terms_days=0, dunning=DUNNING)
    first.subscribe(date(2026, 4, 1))
    second.subscribe(date(2026, 4, 1))
    session.commit()
    return first, second


def stages(session: Session, tenant: Tenant) -> list[str]:
    session.expire_all()
    return sorted(session.scalars(select(DunningAction.stage).where(
        DunningAction.tenant_id == tenant.id)))


def test_dunning_goes_on_after_a_tenant_that_fails(
        db: RollbackDatabase, session: Session, settings: Settings, tenant: Tenant,
        other_tenant: Tenant, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    first, _second = overdue_worlds(session, settings, tenant, other_tenant)
    assert tenant.slug < other_tenant.slug  # tenant-a is walked first
    monkeypatch.setattr(dunning, "run_for_tenant",
                        failing_for(tenant.id, dunning.run_for_tenant))
    with caplog.at_level(logging.ERROR, logger="dotmac_isp.jobs.tenants"):
        summary = job(db, settings, "billing.dunning", date=date(2026, 4, 4))
    assert f"1 tenant(s) failed ({tenant.id}: RuntimeError: boom in this tenant)" in summary
    failed = [r for r in caplog.records if getattr(r, "tenant_id", None) == str(tenant.id)]
    assert failed and failed[0].job == "billing.dunning"  # type: ignore[attr-defined]
    assert stages(session, other_tenant) == ["reminder_3"]
    # the failing tenant's pass stopped before it marked anything overdue
    assert stages(session, tenant) == []
    assert {i.status for i in first.invoices()} == {"issued"}


def test_never_suspending_tenant_gets_its_final_notice_without_a_suspension_warning(
        db: RollbackDatabase, session: Session, settings: Settings, tenant: Tenant,
        other_tenant: Tenant) -> None:
    first, second = overdue_worlds(session, settings, tenant, other_tenant)
    setup.update_settings(session, tenant.id, {"dunning": {"suspend_after_days": None}})
    session.commit()
    summary = job(db, settings, "billing.dunning", date=date(2026, 4, 30))
    assert "failed" not in summary
    assert stages(session, tenant) == ["final_notice", "reminder_3"]
    assert stages(session, other_tenant) == ["final_notice", "reminder_3", "suspension"]
    warned = set(session.scalars(select(Delivery.tenant_id).where(
        Delivery.event_key == "billing.suspension_warning")))
    assert tenant.id not in warned and other_tenant.id in warned
    statuses = {w.tenant.id: session.scalars(select(Subscription.status).where(
        Subscription.customer_id == w.customer.id)).one() for w in (first, second)}
    assert statuses == {tenant.id: "active", other_tenant.id: "suspended"}


def test_billing_run_goes_on_after_a_tenant_that_fails_and_records_the_failed_run(
        db: RollbackDatabase, session: Session, settings: Settings, tenant: Tenant,
        other_tenant: Tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = overdue_worlds(session, settings, tenant, other_tenant)
    monkeypatch.setattr(run, "_chunk", failing_for(tenant.id, run._chunk))
    summary = job(db, settings, "billing.run_recurring", date=date(2026, 5, 1))
    assert f"1 tenant(s) failed ({tenant.id}: RuntimeError" in summary
    session.expire_all()
    runs = {r.tenant_id: r for r in session.scalars(select(BillingRun).where(
        BillingRun.tenant_id.in_([tenant.id, other_tenant.id])))}
    assert runs[tenant.id].status == "failed"
    assert "boom in this tenant" in runs[tenant.id].errors[0]["error"]
    assert runs[other_tenant.id].status == "completed"
    assert len(second.invoices()) == 2 and len(first.invoices()) == 1  # May billed for B only


def test_scheduled_changes_go_on_after_a_change_that_fails(
        db: RollbackDatabase, session: Session, settings: Settings, tenant: Tenant,
        other_tenant: Tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = overdue_worlds(session, settings, tenant, other_tenant)
    soon = datetime.now(UTC) + timedelta(hours=1)
    changes = {}
    for w in (first, second):
        sub = session.scalars(select(Subscription).where(
            Subscription.customer_id == w.customer.id)).one()
        _sub, change = service.request_status(session, w.tenant.id, sub.id,
                                              schemas.ServiceStatusUpdate(
                                                  status=SubscriptionStatus.SUSPENDED,
                                                  reason="asked", effective_at=soon))
        assert change is not None
        changes[w.tenant.id] = change.id
    session.commit()
    real = service.apply_scheduled

    def apply(session: Session, change: ScheduledChange, now: datetime) -> None:
        if change.tenant_id == tenant.id:
            raise TypeError("unexpected")
        real(session, change, now)

    monkeypatch.setattr(service, "apply_scheduled", apply)
    summary = job(db, settings, "services.apply_scheduled_changes",
                  now=soon + timedelta(minutes=1))
    # A defect in one change fails that change, visibly, instead of blocking its tenant's
    # batch every minute; the other tenant's change applies.
    assert summary == "1 applied, 1 failed"
    session.expire_all()
    broken = session.get(ScheduledChange, changes[tenant.id])
    assert broken is not None and broken.state == "failed"
    assert broken.error == "internal error (TypeError); see the log"
    assert session.get(ScheduledChange, changes[other_tenant.id]).state == "applied"  # type: ignore[union-attr]
    assert job(db, settings, "services.apply_scheduled_changes",
               now=soon + timedelta(minutes=2)) == "0 applied, 0 failed"
