"""One poll cycle without SNMP: claim the due devices, build poll results in memory, and
record them through the poll job's database path."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from bench.devices_seed import COUNTER_START, WATCHED_SHARE, Seeded
from dotmac_isp.config import Settings
from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.modules.network.devices.polling import tasks
from dotmac_isp.modules.network.devices.polling.poller import InterfaceReading, PollResult
from dotmac_isp.shared.db import Database


def claim_cycle(database: Database, settings: Settings, now: datetime,
                limit: int) -> list[Any]:
    """The poll job's claim: due devices taken under a lease, their SNMP specs built."""
    return list(tasks.claim(JobContext(database, settings), now, limit).specs)


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
    """The poll job's recording, a batch of devices per transaction."""
    tenant_of = {r.device_id: uuid.UUID(int=0) for r in results}
    done = tasks.record(JobContext(database, settings), results, tenant_of)
    return (f"{done.answered} answered, {done.counters} counters, "
            f"{done.unrecorded} not recorded; {tasks.RECORD_BATCH} per transaction")
