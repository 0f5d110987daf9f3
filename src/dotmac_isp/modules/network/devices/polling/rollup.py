"""Hourly rollups of the raw time series, and pruning by the retention policy.

Only complete hours are rolled up, each once: the newest rolled hour is the watermark, and a
second run finds nothing new to roll and nothing old to prune. Pruning deletes in batches,
each in its own transaction, so it never holds the poller's writes up for long.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Float, case, func, insert, select
from sqlalchemy.orm import Session

from dotmac_isp.modules.network.devices.polling.models import (
    DeviceRollup,
    DeviceSample,
    InterfaceRollup,
    InterfaceSample,
)
from dotmac_isp.shared.retention import DEFAULT_BATCH, delete_in_batches

HOUR = timedelta(hours=1)
# Polls stamped just before the hour ends may still be being written; wait before rolling.
GRACE = timedelta(minutes=2)


@dataclass
class RollupOutcome:
    interface_rollups: int = 0
    device_rollups: int = 0
    raw_pruned: int = 0
    rollups_pruned: int = 0

    def summary(self) -> str:
        return (f"rolled up {self.interface_rollups} interface-hours and {self.device_rollups} "
                f"device-hours; pruned {self.raw_pruned} raw points and {self.rollups_pruned} "
                f"rollups")


def hour_floor(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _first_hour(session: Session, sample_time: Any, rollup_hour: Any) -> datetime | None:
    watermark = session.scalar(select(func.max(rollup_hour)))
    if watermark is not None:
        return hour_floor(watermark) + HOUR
    oldest = session.scalar(select(func.min(sample_time)))
    return hour_floor(oldest) if oldest is not None else None


def _hours(start: datetime | None, end: datetime) -> list[datetime]:
    hours = []
    while start is not None and start < end:
        hours.append(start)
        start += HOUR
    return hours


def _roll_interfaces(session: Session, end: datetime) -> int:
    S = InterfaceSample
    start = _first_hour(session, S.sampled_at, InterfaceRollup.hour_start)
    made = 0
    for hour in _hours(start, end):
        rows = session.execute(
            select(S.tenant_id, S.interface_id, func.count(), func.avg(S.in_bps),
                   func.max(S.in_bps), func.avg(S.out_bps), func.max(S.out_bps))
            .where(S.sampled_at >= hour, S.sampled_at < hour + HOUR)
            .group_by(S.tenant_id, S.interface_id)).all()
        if rows:
            session.execute(insert(InterfaceRollup), [
                {"tenant_id": r[0], "interface_id": r[1], "hour_start": hour, "samples": r[2],
                 "in_bps_avg": float(r[3]), "in_bps_max": float(r[4]),
                 "out_bps_avg": float(r[5]), "out_bps_max": float(r[6])} for r in rows])
            made += len(rows)
    return made


def _roll_devices(session: Session, end: datetime) -> int:
    S = DeviceSample
    start = _first_hour(session, S.sampled_at, DeviceRollup.hour_start)
    up = func.avg(case((S.reachable.is_(True), 100.0), else_=0.0), type_=Float)
    made = 0
    for hour in _hours(start, end):
        rows = session.execute(
            select(S.tenant_id, S.device_id, func.count(), up, func.avg(S.response_ms),
                   func.avg(S.cpu_pct), func.max(S.cpu_pct), func.avg(S.memory_pct))
            .where(S.sampled_at >= hour, S.sampled_at < hour + HOUR)
            .group_by(S.tenant_id, S.device_id)).all()
        if rows:
            session.execute(insert(DeviceRollup), [
                {"tenant_id": r[0], "device_id": r[1], "hour_start": hour, "polls": r[2],
                 "availability_pct": float(r[3]), "response_ms_avg": _float(r[4]),
                 "cpu_pct_avg": _float(r[5]), "cpu_pct_max": _float(r[6]),
                 "memory_pct_avg": _float(r[7])} for r in rows])
            made += len(rows)
    return made


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def roll_up(session: Session, now: datetime) -> RollupOutcome:
    """Roll up every complete hour not yet rolled."""
    end = hour_floor(now - GRACE)
    outcome = RollupOutcome()
    outcome.interface_rollups = _roll_interfaces(session, end)
    outcome.device_rollups = _roll_devices(session, end)
    session.flush()
    return outcome


def prune(database: Any, now: datetime, outcome: RollupOutcome, *, raw_retention: timedelta,
          rollup_retention: timedelta, batch_size: int = DEFAULT_BATCH) -> RollupOutcome:
    """Delete raw points and rollups past retention, a batch per transaction."""
    # Raw points are kept at least until their hour is rolled up.
    raw_cutoff = min(now - raw_retention, hour_floor(now - GRACE))
    for model in (InterfaceSample, DeviceSample):
        outcome.raw_pruned += delete_in_batches(database, model, model.sampled_at < raw_cutoff,
                                                batch_size=batch_size)
    for rollup in (InterfaceRollup, DeviceRollup):
        outcome.rollups_pruned += delete_in_batches(
            database, rollup, rollup.hour_start < now - rollup_retention, batch_size=batch_size)
    return outcome
