"""Reading the time series back: raw points for recent ranges, hourly rollups for long ones."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.modules.network.devices.polling.models import (
    DeviceRollup,
    DeviceSample,
    InterfaceRollup,
    InterfaceSample,
)
from dotmac_isp.shared.errors import ValidationFailed

Resolution = Literal["auto", "raw", "hourly"]
MAX_POINTS = 20_000
SLACK = timedelta(minutes=1)


@dataclass(frozen=True)
class TrafficPoint:
    at: datetime
    in_bps: float
    out_bps: float
    in_bps_max: float | None = None
    out_bps_max: float | None = None


@dataclass(frozen=True)
class DevicePoint:
    at: datetime
    availability_pct: float
    response_ms: float | None
    cpu_pct: float | None
    memory_pct: float | None


def _resolve(resolution: Resolution, since: datetime, until: datetime, now: datetime,
             raw_retention: timedelta) -> Literal["raw", "hourly"]:
    if since >= until:
        raise ValidationFailed("since must be before until")
    if resolution != "auto":
        return resolution
    # A range as long as the raw window ("the last 24 hours" with a day kept) is still raw:
    # its start was taken a moment before `now`.
    return "raw" if since >= now - raw_retention - SLACK else "hourly"


def interface_traffic(session: Session, tenant_id: uuid.UUID, interface_id: uuid.UUID,
                      since: datetime, until: datetime, *, now: datetime,
                      raw_retention: timedelta, resolution: Resolution = "auto",
                      ) -> tuple[str, list[TrafficPoint]]:
    """An interface's bit rates over a time range, oldest first."""
    chosen = _resolve(resolution, since, until, now, raw_retention)
    if chosen == "raw":
        S = InterfaceSample
        rows = session.execute(
            select(S.sampled_at, S.in_bps, S.out_bps)
            .where(S.tenant_id == tenant_id, S.interface_id == interface_id,
                   S.sampled_at >= since, S.sampled_at < until)
            .order_by(S.sampled_at.desc()).limit(MAX_POINTS)).all()
        return chosen, [TrafficPoint(r[0], r[1], r[2]) for r in reversed(rows)]
    R = InterfaceRollup
    rollups = session.execute(
        select(R.hour_start, R.in_bps_avg, R.out_bps_avg, R.in_bps_max, R.out_bps_max)
        .where(R.tenant_id == tenant_id, R.interface_id == interface_id,
               R.hour_start >= since, R.hour_start < until)
        .order_by(R.hour_start.desc()).limit(MAX_POINTS)).all()
    return chosen, [TrafficPoint(*r) for r in reversed(rollups)]


def device_history(session: Session, tenant_id: uuid.UUID, device_id: uuid.UUID,
                   since: datetime, until: datetime, *, now: datetime,
                   raw_retention: timedelta, resolution: Resolution = "auto",
                   ) -> tuple[str, list[DevicePoint]]:
    """A device's reachability, response time, CPU and memory over a time range."""
    chosen = _resolve(resolution, since, until, now, raw_retention)
    if chosen == "raw":
        S = DeviceSample
        rows = session.execute(
            select(S.sampled_at, S.reachable, S.response_ms, S.cpu_pct, S.memory_pct)
            .where(S.tenant_id == tenant_id, S.device_id == device_id,
                   S.sampled_at >= since, S.sampled_at < until)
            .order_by(S.sampled_at.desc()).limit(MAX_POINTS)).all()
        return chosen, [DevicePoint(r[0], 100.0 if r[1] else 0.0, r[2], r[3], r[4])
                        for r in reversed(rows)]
    R = DeviceRollup
    rollups = session.execute(
        select(R.hour_start, R.availability_pct, R.response_ms_avg, R.cpu_pct_avg,
               R.memory_pct_avg)
        .where(R.tenant_id == tenant_id, R.device_id == device_id,
               R.hour_start >= since, R.hour_start < until)
        .order_by(R.hour_start.desc()).limit(MAX_POINTS)).all()
    return chosen, [DevicePoint(*r) for r in reversed(rollups)]
