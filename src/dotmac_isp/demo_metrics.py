"""A week of demo device metrics so device charts have something to draw: hourly rollups for
seven days and raw five-minute points for the last day, shaped like an ISP's daily traffic
(quiet before dawn, a lunchtime bump, an evening peak), bulk-inserted."""

from __future__ import annotations

import math
import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.devices.models import Device, Interface
from dotmac_isp.modules.network.devices.polling.models import (
    DeviceRollup,
    DeviceSample,
    InterfaceRollup,
    InterfaceSample,
)
from dotmac_isp.shared import bulk
from dotmac_isp.shared.types import utcnow

DAYS = 7
RAW_STEP = timedelta(minutes=5)
LOCAL_OFFSET_HOURS = 1  # the demo tenant is in Africa/Lagos (UTC+1, no daylight saving)
# device name -> its ports: ifIndex, name, speed (Mb/s), peak in and out (b/s)
PORTS: dict[str, tuple[tuple[int, str, int, float, float], ...]] = {
    "core-1": ((1, "xe-0/0/0 transit", 10_000, 3.4e9, 0.6e9),
               (2, "xe-0/0/1 to bng-1", 10_000, 0.55e9, 3.1e9)),
    "bng-1": ((1, "sfp-sfpplus1 to core-1", 10_000, 3.1e9, 0.55e9),
              (2, "sfp-sfpplus2 subscribers", 10_000, 0.5e9, 2.9e9)),
    "olt-1": ((1, "0/9/0 uplink", 10_000, 1.6e9, 0.3e9),
              (2, "0/1/0 PON", 2_500, 0.2e9, 1.1e9)),
    "switch-1": ((1, "Te1/1/1 uplink", 10_000, 0.9e9, 0.2e9),
                 (2, "Gi1/0/1 wireless AP", 1_000, 0.08e9, 0.45e9)),
}
# devices shown as down since this long ago (as demo_activity marks them)
DOWN_FOR = timedelta(hours=2)


def daily_load(moment: datetime) -> float:
    """0..1: how busy the network is at this moment of the local day."""
    hour = (moment.hour + moment.minute / 60 + LOCAL_OFFSET_HOURS) % 24

    def bump(centre: float, width: float) -> float:
        distance = min(abs(hour - centre), 24 - abs(hour - centre))
        return math.exp(-distance * distance / (2 * width * width))

    return min(1.0, 0.12 + 0.35 * bump(13, 3.5) + 0.85 * bump(21, 2.8))


def seed_metrics(session: Session, tenant: Tenant, created: list[str]) -> None:
    """Ports, rollups and raw points for the demo devices (skipped if rollups exist)."""
    if session.scalar(select(DeviceRollup.device_id).where(DeviceRollup.tenant_id == tenant.id)
                      .limit(1)) is not None:
        return
    devices = list(session.scalars(select(Device).where(Device.tenant_id == tenant.id,
                                                        Device.name.in_(list(PORTS)))))
    if not devices:
        return
    now, rng = utcnow(), random.Random(20261212)
    this_hour = now.replace(minute=0, second=0, microsecond=0)
    hours = [this_hour - timedelta(hours=h) for h in range(DAYS * 24, 0, -1)]
    raw_times = [this_hour - timedelta(days=1) + RAW_STEP * i
                 for i in range(int(timedelta(days=1) / RAW_STEP) + 1)
                 if this_hour - timedelta(days=1) + RAW_STEP * i <= now]
    rows: dict[Any, list[dict[str, Any]]] = {DeviceRollup: [], DeviceSample: [],
                                              InterfaceRollup: [], InterfaceSample: []}
    for device in devices:
        down_since = now - DOWN_FOR if device.reachability == "down" else None
        _device_points(rows, tenant.id, device, hours, raw_times, down_since, rng)
        for port in _ports(session, tenant.id, device, down_since is None):
            _port_points(rows, tenant.id, port, hours, raw_times, down_since, rng)
    for model, batch in rows.items():
        bulk.insert_rows(session, model, batch)
    session.flush()
    created.append(f"{len(rows[DeviceRollup]) + len(rows[InterfaceRollup])} hourly rollups, "
                   f"{len(rows[DeviceSample]) + len(rows[InterfaceSample])} raw points")


def _up(moment: datetime, down_since: datetime | None) -> bool:
    return down_since is None or moment < down_since


def _device_points(rows: dict[Any, list[dict[str, Any]]], tenant_id: uuid.UUID,
                   device: Device, hours: list[datetime], raw_times: list[datetime],
                   down_since: datetime | None, rng: random.Random) -> None:
    memory = rng.uniform(35, 55)

    def cpu(moment: datetime) -> float:
        return round(min(99.0, 8 + 45 * daily_load(moment) + rng.uniform(-4, 4)), 1)

    for hour in hours:
        up = _up(hour + timedelta(hours=1), down_since)
        rows[DeviceRollup].append(dict(
            tenant_id=tenant_id, device_id=device.id, hour_start=hour, polls=12,
            availability_pct=100.0 if up else 0.0,
            response_ms_avg=round(rng.uniform(0.8, 2.5), 2) if up else None,
            cpu_pct_avg=cpu(hour + timedelta(minutes=30)) if up else None,
            cpu_pct_max=min(99.0, cpu(hour + timedelta(minutes=30)) + 9) if up else None,
            memory_pct_avg=round(memory + rng.uniform(-1, 1), 1) if up else None))
    for moment in raw_times:
        up = _up(moment, down_since)
        rows[DeviceSample].append(dict(
            tenant_id=tenant_id, device_id=device.id, sampled_at=moment, reachable=up,
            response_ms=round(rng.uniform(0.6, 3.0), 2) if up else None,
            cpu_pct=cpu(moment) if up else None,
            memory_pct=round(memory + rng.uniform(-1.5, 1.5), 1) if up else None))


def _ports(session: Session, tenant_id: uuid.UUID, device: Device,
           up: bool) -> list[tuple[Interface, float, float]]:
    """The device's demo ports (added once, as discovery would) with their peak rates."""
    existing = {i.if_index: i for i in session.scalars(
        select(Interface).where(Interface.tenant_id == tenant_id,
                                Interface.device_id == device.id))}
    ports = []
    for if_index, name, speed, peak_in, peak_out in PORTS[device.name]:
        interface = existing.get(if_index)
        if interface is None:
            interface = Interface(tenant_id=tenant_id, device_id=device.id, if_index=if_index,
                                  name=name, speed_mbps=speed, monitored=True,
                                  admin_status="up", oper_status="up" if up else "unknown")
            session.add(interface)
        ports.append((interface, peak_in, peak_out))
    session.flush()
    return ports


def _port_points(rows: dict[Any, list[dict[str, Any]]], tenant_id: uuid.UUID,
                 port: tuple[Interface, float, float], hours: list[datetime],
                 raw_times: list[datetime], down_since: datetime | None,
                 rng: random.Random) -> None:
    interface, peak_in, peak_out = port

    def rate(peak: float, moment: datetime) -> float:
        return round(peak * daily_load(moment) * rng.uniform(0.92, 1.08))

    for hour in hours:
        if not _up(hour + timedelta(hours=1), down_since):
            continue
        middle = hour + timedelta(minutes=30)
        in_avg, out_avg = rate(peak_in, middle), rate(peak_out, middle)
        rows[InterfaceRollup].append(dict(
            tenant_id=tenant_id, interface_id=interface.id, hour_start=hour, samples=12,
            in_bps_avg=in_avg, in_bps_max=round(in_avg * rng.uniform(1.1, 1.3)),
            out_bps_avg=out_avg, out_bps_max=round(out_avg * rng.uniform(1.1, 1.3))))
    last: tuple[float, float] | None = None
    for moment in raw_times:
        if not _up(moment, down_since):
            continue
        last = (rate(peak_in, moment), rate(peak_out, moment))
        rows[InterfaceSample].append(dict(
            tenant_id=tenant_id, interface_id=interface.id, sampled_at=moment,
            in_bps=last[0], out_bps=last[1], oper_up=True))
    if last is not None and down_since is None:
        interface.in_bps, interface.out_bps = last
