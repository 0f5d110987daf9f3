"""Hourly rollups and retention: complete hours rolled once, raw and old rollups pruned; the
job run twice changes nothing the second time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.devices.polling import series
from dotmac_isp.modules.network.devices.polling.models import (
    DeviceRollup,
    DeviceSample,
    InterfaceRollup,
    InterfaceSample,
)
from dotmac_isp.modules.network.devices.polling.tasks import rollup_metrics
from tests.modules.network.devices.factories import make_device, make_interface

NOW = datetime(2026, 3, 10, 12, 30, tzinfo=UTC)


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_rollup_then_prune_idempotently(db, session: Session, settings: Settings,  # type: ignore[no-untyped-def]
                                        tenant: Tenant) -> None:
    device = make_device(session, settings, tenant)
    port = make_interface(session, device)
    # Two complete hours (10:00 and 11:00) plus the running hour, and one ancient point.
    for minute in range(0, 150, 10):
        at = NOW.replace(hour=10, minute=0) + timedelta(minutes=minute)
        session.add(InterfaceSample(tenant_id=tenant.id, interface_id=port.id, sampled_at=at,
                                    in_bps=1000.0 * (minute + 10), out_bps=500.0, oper_up=True))
        session.add(DeviceSample(tenant_id=tenant.id, device_id=device.id, sampled_at=at,
                                 reachable=minute % 20 == 0, response_ms=5.0, cpu_pct=40.0,
                                 memory_pct=50.0))
    old = NOW - timedelta(days=30)
    session.add(InterfaceSample(tenant_id=tenant.id, interface_id=port.id, sampled_at=old,
                                in_bps=1.0, out_bps=1.0, oper_up=True))
    session.add(InterfaceRollup(tenant_id=tenant.id, interface_id=port.id,
                                hour_start=NOW - timedelta(days=500), samples=1, in_bps_avg=1,
                                in_bps_max=1, out_bps_avg=1, out_bps_max=1))
    session.commit()

    first = rollup_metrics(JobContext(db, settings, params={"now": NOW}))
    # the ancient point's hour, 10:00 and 11:00, for the port and for the device
    assert first == ("rolled up 3 interface-hours and 2 device-hours; pruned 1 raw points "
                     "and 1 rollups")
    session.expire_all()
    hours = session.scalars(select(InterfaceRollup).where(InterfaceRollup.interface_id == port.id)
                            .order_by(InterfaceRollup.hour_start)).all()
    # the ancient sample's hour, then 10:00 and 11:00 (12:00 is still running)
    assert [h.hour_start.hour for h in hours[-2:]] == [10, 11]
    ten = hours[-2]
    assert ten.samples == 6 and ten.in_bps_avg == 35_000 and ten.in_bps_max == 60_000
    device_hours = session.scalars(select(DeviceRollup).order_by(DeviceRollup.hour_start)).all()
    assert [h.availability_pct for h in device_hours] == [50.0, 50.0]
    assert _count(session, InterfaceSample) == 15  # raw kept within 7 days

    snapshot = (_count(session, InterfaceRollup), _count(session, DeviceRollup),
                _count(session, InterfaceSample))
    second = rollup_metrics(JobContext(db, settings, params={"now": NOW}))
    assert second == ("rolled up 0 interface-hours and 0 device-hours; pruned 0 raw points "
                      "and 0 rollups")
    assert snapshot == (_count(session, InterfaceRollup), _count(session, DeviceRollup),
                        _count(session, InterfaceSample))

    resolution, points = series.interface_traffic(
        session, tenant.id, port.id, NOW - timedelta(days=20), NOW, now=NOW,
        raw_retention=timedelta(days=7))
    assert resolution == "hourly" and [p.in_bps_max for p in points] == [60_000, 120_000]
