"""Retention jobs: rows past their period go (a few per transaction), recent rows and open
sessions stay, and a second run deletes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dotmac_isp.config import RetentionSettings, Settings
from dotmac_isp.jobs.registry import JobContext, all_jobs
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.devices.polling.models import DeviceSample, InterfaceRollup
from dotmac_isp.modules.network.devices.polling.tasks import rollup_metrics
from dotmac_isp.modules.network.radius.models import RadAcct, RadPostAuth, UsageMark
from dotmac_isp.modules.network.radius.tasks import prune_accounting, prune_postauth
from dotmac_isp.modules.notifications.models import Delivery
from dotmac_isp.modules.notifications.tasks import prune_delivery_log
from tests.conftest import RollbackDatabase
from tests.modules.network.devices.factories import make_device, make_interface

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _small_batches(settings: Settings) -> Settings:
    return settings.model_copy(update={"retention": RetentionSettings(batch_size=2)})


def _count(session: Session, model: Any, *where: Any) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _session(tenant: Tenant, *, start: datetime, stop: datetime | None,
             changed: datetime) -> RadAcct:
    return RadAcct(tenant_id=tenant.id, acctsessionid="s", acctuniqueid=uuid.uuid4().hex,
                   username="ret-user", nasipaddress="198.51.100.40", acctstarttime=start,
                   acctupdatetime=stop or start, acctstoptime=stop, changed_at=changed,
                   acctinputoctets=1, acctoutputoctets=1)


def test_accounting_retention_deletes_only_sessions_stopped_long_ago(
        db: RollbackDatabase, session: Session, settings: Settings, tenant: Tenant) -> None:
    long_ago = NOW - timedelta(days=400)
    old = [_session(tenant, start=long_ago, stop=long_ago + timedelta(hours=1),
                    changed=long_ago + timedelta(hours=1)) for _ in range(5)]
    recent = _session(tenant, start=NOW - timedelta(days=10), stop=NOW - timedelta(days=9),
                      changed=NOW - timedelta(days=9))
    still_open = _session(tenant, start=long_ago, stop=None, changed=long_ago)
    session.add_all([*old, recent, still_open])
    session.flush()
    session.add(UsageMark(radacctid=old[0].radacctid, usage_date=long_ago.date(),
                          tenant_id=tenant.id, subscription_id=uuid.uuid4()))
    session.commit()
    kept = {recent.radacctid, still_open.radacctid}
    ctx = JobContext(db, _small_batches(settings), now=NOW)  # type: ignore[arg-type]
    assert prune_accounting(ctx).startswith("5 sessions")
    assert set(session.scalars(select(RadAcct.radacctid).where(
        RadAcct.tenant_id == tenant.id))) == kept
    assert _count(session, UsageMark, UsageMark.tenant_id == tenant.id) == 0
    assert prune_accounting(ctx).startswith("0 sessions")
    assert _count(session, RadAcct, RadAcct.tenant_id == tenant.id) == 2


def test_postauth_retention_covers_every_tenant(
        db: RollbackDatabase, session: Session, settings: Settings, tenant: Tenant,
        other_tenant: Tenant) -> None:
    for owner in (tenant, other_tenant):
        for days in (200, 120, 91, 95, 30, 1):
            session.add(RadPostAuth(tenant_id=owner.id, username="u", reply="Access-Accept",
                                    authdate=NOW - timedelta(days=days)))
    session.commit()
    ctx = JobContext(db, _small_batches(settings), now=NOW)  # type: ignore[arg-type]
    assert prune_postauth(ctx).startswith("8 ")
    for owner in (tenant, other_tenant):
        dates = session.scalars(select(RadPostAuth.authdate).where(
            RadPostAuth.tenant_id == owner.id)).all()
        assert sorted((NOW - d).days for d in dates) == [1, 30]
    assert prune_postauth(ctx).startswith("0 ")


def test_metric_points_are_pruned_in_batches(
        db: RollbackDatabase, session: Session, settings: Settings, tenant: Tenant) -> None:
    device = make_device(session, settings, tenant)
    port = make_interface(session, device)
    for days in (30, 20, 10, 9, 8, 1):
        session.add(DeviceSample(tenant_id=tenant.id, device_id=device.id,
                                 sampled_at=NOW - timedelta(days=days), reachable=True))
    for days in (900, 800, 500, 401, 10):
        session.add(InterfaceRollup(tenant_id=tenant.id, interface_id=port.id,
                                    hour_start=NOW - timedelta(days=days), samples=1,
                                    in_bps_avg=1, in_bps_max=1, out_bps_avg=1, out_bps_max=1))
    session.commit()
    ctx = JobContext(db, _small_batches(settings), params={"now": NOW})  # type: ignore[arg-type]
    first = rollup_metrics(ctx)
    assert "pruned 5 raw points and 4 rollups" in first
    assert _count(session, DeviceSample, DeviceSample.device_id == device.id) == 1
    assert _count(session, InterfaceRollup, InterfaceRollup.interface_id == port.id) == 1
    assert "pruned 0 raw points and 0 rollups" in rollup_metrics(ctx)


def test_delivery_log_retention_keeps_pending_and_recent_messages(
        db: RollbackDatabase, session: Session, settings: Settings, tenant: Tenant) -> None:
    def delivery(status: str, days: int) -> Delivery:
        return Delivery(tenant_id=tenant.id, event_key="invoice.issued", to_address="a@b.example",
                        subject="s", body_text="b", message_id=f"<{uuid.uuid4().hex}@x>",
                        status=status, created_at=NOW - timedelta(days=days))

    old_done = [delivery(s, 200) for s in ("sent", "sent", "failed", "sent", "failed")]
    kept = [delivery("queued", 400), delivery("retrying", 200), delivery("sent", 100)]
    session.add_all([*old_done, *kept])
    session.commit()
    ctx = JobContext(db, _small_batches(settings), now=NOW)  # type: ignore[arg-type]
    assert prune_delivery_log(ctx).startswith("5 deliveries")
    assert set(session.scalars(select(Delivery.id).where(Delivery.tenant_id == tenant.id))) \
        == {d.id for d in kept}
    assert prune_delivery_log(ctx).startswith("0 deliveries")


def test_retention_jobs_are_scheduled() -> None:
    scheduled = {spec.name for spec in all_jobs() if spec.every is not None}
    assert {"radius.prune_accounting", "radius.prune_postauth",
            "notifications.prune_delivery_log", "devices.rollup_metrics"} <= scheduled
