"""The RADIUS jobs that walk tenants run each tenant in a transaction of its own: a tenant
whose share fails is rolled back and recorded in its job failures (shown at /admin/jobs), and
the other tenants are still processed; the failed tenant's work is done at the next run."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.jobs import history
from dotmac_isp.jobs.models import JobFailure, JobRun
from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.radius import accounting, usage
from dotmac_isp.modules.network.radius.models import DataCapState, RadAcct, UsageDaily
from dotmac_isp.modules.services.enums import SubscriptionStatus
from tests.conftest import RollbackDatabase
from tests.support.customers import make_plan, make_subscription

GB = 1_000_000_000


def _subscriber_online(session: Session, settings: Settings, tenant: Tenant, *,
                       down: int, seen: datetime) -> uuid.UUID:
    plan = make_plan(session, tenant, data_cap_mb=1000, fup_download_kbps=1000,
                     fup_upload_kbps=500)
    sub = make_subscription(session, settings, tenant, plan=plan,
                            status=SubscriptionStatus.ACTIVE)
    session.add(RadAcct(tenant_id=tenant.id, acctsessionid=uuid.uuid4().hex[:8],
                        acctuniqueid=uuid.uuid4().hex, username=f"u-{tenant.slug}",
                        nasipaddress="198.51.100.60", acctstarttime=seen - timedelta(hours=1),
                        acctupdatetime=seen, acctinputoctets=0, acctoutputoctets=down,
                        acctsessiontime=3600, subscription_id=sub.id))
    session.commit()
    return sub.id


def _run(db: RollbackDatabase, settings: Settings, name: str) -> str:
    ctx = JobContext(db, settings, datetime.now(UTC))  # type: ignore[arg-type]
    return history.run_recorded(name, ctx)


def _failing_for(tenant_id: uuid.UUID, real: Any) -> Any:
    def wrapper(session: Session, now: datetime, tid: uuid.UUID | None = None,
                *args: Any) -> Any:
        if tid == tenant_id:
            raise RuntimeError("boom in this tenant")
        return real(session, now, tid, *args)
    return wrapper


def _recorded(session: Session, name: str) -> tuple[list[tuple[uuid.UUID, str]], str]:
    session.expire_all()
    failures = [(f.tenant_id, f.error) for f in session.scalars(
        select(JobFailure).where(JobFailure.job == name))]
    [run] = session.scalars(select(JobRun).where(JobRun.job == name)).all()
    return failures, run.outcome


def _usage(session: Session, sub_id: uuid.UUID) -> int:
    session.expire_all()
    return sum(d.output_octets for d in session.scalars(
        select(UsageDaily).where(UsageDaily.subscription_id == sub_id)))


def test_usage_rollup_goes_on_after_a_tenant_that_fails_and_catches_up_later(
        db: RollbackDatabase, session: Session, settings: Settings, tenant: Tenant,
        other_tenant: Tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    now = datetime.now(UTC)
    failing = _subscriber_online(session, settings, tenant, down=2 * GB, seen=now)
    fine = _subscriber_online(session, settings, other_tenant, down=3 * GB, seen=now)
    real = usage.rollup
    monkeypatch.setattr(usage, "rollup", _failing_for(tenant.id, real))
    summary = _run(db, settings, "radius.rollup_usage")
    assert f"1 tenant(s) failed ({tenant.id}: RuntimeError: boom in this tenant)" in summary
    assert _usage(session, fine) == 3 * GB
    assert _usage(session, failing) == 0
    failures, outcome = _recorded(session, "radius.rollup_usage")
    assert failures == [(tenant.id, "RuntimeError: boom in this tenant")]
    assert outcome == "partial"
    # the failed tenant's watermark did not move: the next run rolls its usage up
    monkeypatch.setattr(usage, "rollup", real)
    assert "failed" not in _run(db, settings, "radius.rollup_usage")
    assert _usage(session, failing) == 2 * GB
    assert _usage(session, fine) == 3 * GB


def test_data_caps_go_on_after_a_tenant_that_fails(
        db: RollbackDatabase, session: Session, settings: Settings, tenant: Tenant,
        other_tenant: Tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    now = datetime.now(UTC)
    failing = _subscriber_online(session, settings, tenant, down=2 * GB, seen=now)
    fine = _subscriber_online(session, settings, other_tenant, down=2 * GB, seen=now)
    real = usage.enforce_caps

    def enforce(session: Session, radius: Any, now: datetime,
                tid: uuid.UUID | None = None) -> Any:
        if tid == tenant.id:
            raise RuntimeError("boom in this tenant")
        return real(session, radius, now, tid)

    monkeypatch.setattr(usage, "enforce_caps", enforce)
    summary = _run(db, settings, "radius.enforce_data_caps")
    assert summary.startswith("1 capped")
    assert f"1 tenant(s) failed ({tenant.id}: RuntimeError: boom in this tenant)" in summary
    session.expire_all()
    capped = set(session.scalars(select(DataCapState.subscription_id)))
    assert fine in capped and failing not in capped
    # the failed tenant's whole share was rolled back, its roll-up too
    assert _usage(session, failing) == 0
    failures, outcome = _recorded(session, "radius.enforce_data_caps")
    assert failures == [(tenant.id, "RuntimeError: boom in this tenant")]
    assert outcome == "partial"


def test_stale_sessions_of_other_tenants_are_closed_after_a_tenant_that_fails(
        db: RollbackDatabase, session: Session, settings: Settings, tenant: Tenant,
        other_tenant: Tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    long_ago = datetime.now(UTC) - timedelta(hours=3)
    failing = _subscriber_online(session, settings, tenant, down=GB, seen=long_ago)
    fine = _subscriber_online(session, settings, other_tenant, down=GB, seen=long_ago)
    theirs = set(session.scalars(select(RadAcct.radacctid).where(
        RadAcct.tenant_id == tenant.id)))
    real = accounting.close_each

    def close(session: Session, rows: list[Any], cause: str) -> int:
        if {row[0] for row in rows} & theirs:
            raise RuntimeError("boom in this tenant")
        return real(session, rows, cause)

    monkeypatch.setattr(accounting, "close_each", close)
    summary = _run(db, settings, "radius.close_stale_sessions")
    assert summary.startswith("1 stale sessions closed")
    assert f"1 tenant(s) failed ({tenant.id}: RuntimeError: boom in this tenant)" in summary
    session.expire_all()
    stops = {sub: (stop, cause) for sub, stop, cause in session.execute(
        select(RadAcct.subscription_id, RadAcct.acctstoptime, RadAcct.acctterminatecause))}
    assert stops[failing] == (None, None)
    assert stops[fine] == (long_ago, "Stale-Session")
    failures, outcome = _recorded(session, "radius.close_stale_sessions")
    assert failures == [(tenant.id, "RuntimeError: boom in this tenant")]
    assert outcome == "partial"


def test_a_tenants_first_own_run_starts_where_the_shared_roll_up_stopped(
        session: Session, settings: Settings, tenant: Tenant) -> None:
    now = datetime.now(UTC)
    old = _subscriber_online(session, settings, tenant, down=GB, seen=now)
    usage.rollup(session, now)  # the shared watermark, as before per-tenant runs
    # changed long before the shared watermark: not read again by the tenant's own run
    session.execute(RadAcct.__table__.update().where(RadAcct.subscription_id == old).values(
        acctoutputoctets=9 * GB, changed_at=now - timedelta(hours=1)))
    new = _subscriber_online(session, settings, tenant, down=2 * GB, seen=now)
    assert usage.rollup(session, now, tenant.id) == 1
    assert (_usage(session, old), _usage(session, new)) == (GB, 2 * GB)
    assert usage.rollup(session, now, tenant.id) == 0
