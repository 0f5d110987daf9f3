"""What a job leaves for operators: a run record (ok, partial, failed) and, for a tenant whose
share failed, a failure its own staff see at /admin/jobs and no other tenant does."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.jobs import history, registry
from dotmac_isp.jobs.models import JobFailure, JobRun
from dotmac_isp.jobs.registry import JobContext, JobSpec
from dotmac_isp.modules.billing import dunning
from dotmac_isp.modules.identity.models import Tenant, WebSession
from tests.conftest import RollbackDatabase
from tests.jobs.test_tenant_isolation import failing_for, overdue_worlds
from tests.support.factories import StaffUser, make_user
from tests.web.billing_support import visible
from tests.web.test_admin_pages import sign_in


def recorded(db: RollbackDatabase, settings: Settings, name: str, **params: object) -> str:
    ctx = JobContext(db, settings, datetime.now(UTC), dict(params))  # type: ignore[arg-type]
    return history.run_recorded(name, ctx)


def runs(session: Session, name: str) -> list[JobRun]:
    session.expire_all()
    return list(session.scalars(select(JobRun).where(JobRun.job == name)))


def test_a_failed_tenant_is_recorded_for_its_own_staff_only(
        db: RollbackDatabase, session: Session, settings: Settings, tenant: Tenant,
        other_tenant: Tenant, admin: StaffUser, other_admin: StaffUser, client: TestClient,
        monkeypatch: pytest.MonkeyPatch) -> None:
    overdue_worlds(session, settings, tenant, other_tenant)
    monkeypatch.setattr(dunning, "run_for_tenant", failing_for(tenant.id, dunning.run_for_tenant))
    recorded(db, settings, "billing.dunning", date=date(2026, 4, 4))
    [run] = runs(session, "billing.dunning")
    assert (run.status, run.tenant_failures) == ("partial", 1)
    [failure] = session.scalars(select(JobFailure)).all()
    assert (failure.tenant_id, failure.job) == (tenant.id, "billing.dunning")
    assert failure.error == "RuntimeError: boom in this tenant"

    sign_in(client, admin.user.email, admin.password)
    page = client.get("/admin/jobs")
    assert page.status_code == 200
    assert "billing.dunning RuntimeError: boom in this tenant" in visible(page.text)
    assert 'data-job="billing.dunning"' in page.text and 'data-outcome="partial"' in page.text
    client.cookies.clear()
    sign_in(client, other_admin.user.email, other_admin.password)
    theirs = client.get("/admin/jobs")
    assert theirs.status_code == 200 and "boom" not in theirs.text
    assert 'data-testid="no-job-failures"' in theirs.text


def test_the_jobs_page_needs_tenant_write(client: TestClient, session: Session,
                                          settings: Settings, tenant: Tenant) -> None:
    support = make_user(session, settings, tenant, "support")
    sign_in(client, support.user.email, support.password)
    assert client.get("/admin/jobs").status_code == 403


def test_a_job_that_raises_is_recorded_as_failed_and_still_raises(
        db: RollbackDatabase, session: Session, settings: Settings,
        monkeypatch: pytest.MonkeyPatch) -> None:
    def always_fails(ctx: JobContext) -> str:
        raise ValueError("the broker is away")

    monkeypatch.setitem(registry._jobs, "tests.always_fails",
                        JobSpec("tests.always_fails", always_fails, None, "fails"))
    with pytest.raises(ValueError):
        recorded(db, settings, "tests.always_fails")
    [run] = runs(session, "tests.always_fails")
    assert run.status == "failed" and run.summary == "ValueError: the broker is away"


def test_history_is_pruned_after_the_kept_days(db: RollbackDatabase, session: Session,
                                               settings: Settings, tenant: Tenant) -> None:
    now = datetime.now(UTC)
    old, recent = now - timedelta(days=31), now - timedelta(days=29)
    for at in (old, recent):
        session.add(JobRun(job="tests.pruned", started_at=at, finished_at=at, status="succeeded",
                           tenant_failures=0, summary=""))
        session.add(JobFailure(tenant_id=tenant.id, job="tests.pruned", occurred_at=at,
                               error="x"))
    session.flush()
    assert recorded(db, settings, "jobs.prune_history") == "2 job record(s) removed"
    assert [r.started_at for r in runs(session, "tests.pruned")] == [recent]
    assert recorded(db, settings, "jobs.prune_history") == "0 job record(s) removed"


def test_expired_page_sessions_are_pruned(db: RollbackDatabase, session: Session,
                                          settings: Settings, tenant: Tenant) -> None:
    now = datetime.now(UTC)
    for created, ended in ((now - timedelta(hours=13), None),  # expired, never signed out
                           (now - timedelta(hours=14), now - timedelta(hours=13)),  # ended
                           (now - timedelta(hours=1), None)):  # still live
        session.add(WebSession(tenant_id=tenant.id, kind="staff", subject_id=uuid.uuid4(),
                               created_at=created, expires_at=created + timedelta(hours=12),
                               ended_at=ended))
    session.flush()
    assert recorded(db, settings, "identity.prune_web_sessions") == (
        "2 expired page session(s) removed")
    session.expire_all()
    [live] = session.scalars(select(WebSession).where(WebSession.tenant_id == tenant.id))
    assert live.expires_at > now
    assert recorded(db, settings, "identity.prune_web_sessions") == (
        "0 expired page session(s) removed")
