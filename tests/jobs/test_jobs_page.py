"""/admin/jobs shows the jobs running now and the latest runs with their status to every
admin; a run's summary and log (which may name other tenants) only to the operator's staff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import JobsSettings, Settings
from dotmac_isp.jobs.models import JobLease, JobRun
from dotmac_isp.main import create_app
from dotmac_isp.modules.identity.models import Tenant
from tests.conftest import RollbackDatabase
from tests.support.factories import StaffUser
from tests.web.test_admin_pages import sign_in

SECRET_SUMMARY = "3 tenant(s) failed (tenant-x: SMTP 550)"


def page_as(db: RollbackDatabase, settings: Settings, staff: StaffUser,
            operator: str | None) -> str:
    app = create_app(settings.model_copy(update={"jobs": JobsSettings(
        operator_tenant=operator)}), db, configure_logs=False)  # type: ignore[arg-type]
    with TestClient(app) as client:
        sign_in(client, staff.user.email, staff.password)
        page = client.get("/admin/jobs")
    assert page.status_code == 200
    return page.text


def test_runs_and_running_jobs_are_shown_and_details_to_the_operator_only(
        db: RollbackDatabase, session: Session, settings: Settings, tenant: Tenant,
        other_tenant: Tenant, admin: StaffUser, other_admin: StaffUser) -> None:
    now = datetime.now(UTC)
    session.add(JobRun(job="billing.dunning", started_at=now - timedelta(minutes=2),
                       finished_at=now - timedelta(minutes=1), status="partial",
                       trigger="schedule", holder="worker-1:42/ab", attempt=2,
                       tenant_failures=3, summary=SECRET_SUMMARY, error="",
                       log="WARNING dunning: a line the run logged"))
    session.add(JobLease(job="billing.run_recurring", holder="worker-2:7/cd",
                         acquired_at=now, expires_at=now + timedelta(minutes=1)))
    session.flush()

    theirs = page_as(db, settings, other_admin, operator="tenant-b")
    assert 'data-run="billing.dunning" data-status="partial"' in theirs
    assert 'data-running="billing.run_recurring"' in theirs and "worker-2:7/cd" in theirs
    assert SECRET_SUMMARY in theirs and "a line the run logged" in theirs

    mine = page_as(db, settings, admin, operator="tenant-b")
    assert 'data-run="billing.dunning" data-status="partial"' in mine
    assert SECRET_SUMMARY not in mine and "a line the run logged" not in mine
    # no operator named and more than one tenant: nobody's staff see the details
    assert SECRET_SUMMARY not in page_as(db, settings, other_admin, operator=None)
