"""Hourly rollups of the raw time series, and pruning by the retention policy.

Only complete hours are rolled up, each once: the newest rolled hour is the watermark, and a
second run finds nothing new to roll and nothing old to prune. Pruning deletes in batches,
each in its own transaction, so it never holds the poller's writes up for long.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Float, case, delete, func, insert, literal, select
from sqlalchemy.orm import Session

from dotmac_isp.modules.network.devices.polling.models import (
    DeviceRollup,
    DeviceSample,
    InterfaceRollup,
    InterfaceSample,
)
from dotmac_isp.shared.retention import DEFAULT_BATCH, delete_in_batches
from dotmac_isp.shared.types import UTCDateTime

HOUR = timedelta(hours=1)
# Polls stamped just before the hour ends may still be being written; wait before rolling.
GRACE = timedelta(minutes=2)
SLICE = timedelta(minutes=5)  # raw points pruned per transaction: about one poll round


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
        # aggregated and stored by the database: the hour's points never travel to Python
        rows = select(S.tenant_id, S.interface_id, literal(hour, UTCDateTime()), func.count(),
                      func.avg(S.in_bps), func.max(S.in_bps), func.avg(S.out_bps),
                      func.max(S.out_bps)) \
            .where(S.sampled_at >= hour, S.sampled_at < hour + HOUR) \
            .group_by(S.tenant_id, S.interface_id)
        made += _insert_from(session, InterfaceRollup, rows, (
            "tenant_id", "interface_id", "hour_start", "samples", "in_bps_avg", "in_bps_max",
            "out_bps_avg", "out_bps_max"))
    return made


def _roll_devices(session: Session, end: datetime) -> int:
    S = DeviceSample
    start = _first_hour(session, S.sampled_at, DeviceRollup.hour_start)
    up = func.avg(case((S.reachable.is_(True), 100.0), else_=0.0), type_=Float)
    made = 0
    for hour in _hours(start, end):
        rows = select(S.tenant_id, S.device_id, literal(hour, UTCDateTime()), func.count(), up,
                      func.avg(S.response_ms), func.avg(S.cpu_pct), func.max(S.cpu_pct),
                      func.avg(S.memory_pct)) \
            .where(S.sampled_at >= hour, S.sampled_at < hour + HOUR) \
            .group_by(S.tenant_id, S.device_id)
        made += _insert_from(session, DeviceRollup, rows, (
            "tenant_id", "device_id", "hour_start", "polls", "availability_pct",
            "response_ms_avg", "cpu_pct_avg", "cpu_pct_max", "memory_pct_avg"))
    return made


def _insert_from(session: Session, model: Any, rows: Any, columns: tuple[str, ...]) -> int:
    result: Any = session.connection().execute(
        insert(model.__table__).from_select(list(columns), rows)
        .execution_options(preserve_rowcount=True))
    return max(0, result.rowcount or 0)


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
        outcome.raw_pruned += delete_before(database, model, raw_cutoff)
    for rollup in (InterfaceRollup, DeviceRollup):
        outcome.rollups_pruned += delete_in_batches(
            database, rollup, rollup.hour_start < now - rollup_retention, batch_size=batch_size)
    return outcome


def delete_before(database: Any, model: Any, cutoff: datetime, *,
                  span: timedelta = SLICE) -> int:
    """Delete the raw points stamped before `cutoff`, oldest first, `span` of time per
    transaction: each statement is a range of the time index (no key lists to join), and a
    transaction holds about one poll round of rows."""
    column = model.sampled_at
    total = 0
    while True:
        with database.unit_of_work() as session:
            oldest = session.scalar(select(func.min(column)).where(column < cutoff))
            if oldest is None:
                return total
            result: Any = session.execute(delete(model).where(
                column < min(oldest + span, cutoff)))
        total += max(0, result.rowcount or 0)
