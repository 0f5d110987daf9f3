"""One poll cycle without SNMP: claim the due devices, build poll results in memory, and
record them through the poll job's database path."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bench.devices_seed import COUNTER_START, WATCHED_SHARE, Seeded
from dotmac_isp.config import Settings
from dotmac_isp.modules.network.devices.models import Device
from dotmac_isp.modules.network.devices.polling import service
from dotmac_isp.modules.network.devices.polling.poller import InterfaceReading, PollResult
from dotmac_isp.shared.db import Database

RECORD_BATCH = 100


def claim_cycle(database: Database, settings: Settings, now: datetime,
                limit: int) -> list[Any]:
    with database.unit_of_work(write=False) as session:
        devices = service.due_devices(session, now, limit)
        specs, _failed = service.specs_for(settings, devices, now, timedelta(hours=1))
    return specs


def poll_results(seeded: Seeded, at: datetime, interval: int) -> list[PollResult]:
    """Every device answered; watched ports moved their counters by an interval of traffic."""
    results = []
    for n, device_id in enumerate(seeded.device_ids):
        ports = seeded.interfaces[device_id]
        watched = max(1, int(len(ports) * WATCHED_SHARE))
        readings = []
        for _id, index in ports:
            up = index <= watched
            moved = (index * 1_000_003 + n) % 10**9 if up else 0
            readings.append(InterfaceReading(
                index, admin_status=1 if up else 2, oper_status=1 if up else 2,
                in_octets=COUNTER_START + moved, out_octets=COUNTER_START + moved // 3))
        results.append(PollResult(device_id, reachable=True, polled_at=at, response_ms=3.0,
                                  sys_descr="Bench switch", sys_name=f"sw-{n:05d}",
                                  sys_uptime_ticks=(86_400 * 30 + interval) * 100,
                                  cpu_pct=20.0, memory_pct=40.0, interfaces=readings))
    return results


def record_cycle(database: Database, settings: Settings, results: list[PollResult]) -> str:
    recorded = 0
    for start in range(0, len(results), RECORD_BATCH):
        batch = results[start:start + RECORD_BATCH]
        with database.unit_of_work() as session:
            stored: dict[uuid.UUID, Device] = {d.id: d for d in session.scalars(
                select(Device).where(Device.id.in_([r.device_id for r in batch])))}
            for result in batch:
                service.record_poll(session, stored[result.device_id], result)
                recorded += 1
    return f"{recorded} recorded"
