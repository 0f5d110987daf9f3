"""Poller and rollup jobs: run by the in-process scheduler, the CLI or a Celery worker."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from dotmac_isp.jobs import history
from dotmac_isp.jobs.registry import JobContext, job
from dotmac_isp.modules.network.devices.models import Device
from dotmac_isp.modules.network.devices.polling import export, rollup, service
from dotmac_isp.modules.network.devices.polling.poller import PollResult, PollSpec, run_cycle
from dotmac_isp.modules.network.devices.settings import get_devices_settings
from dotmac_isp.shared.types import utcnow

log = logging.getLogger(__name__)
RECORD_BATCH = 100  # poll results stored per transaction


@dataclass
class Recorded:
    answered: int = 0
    counters: int = 0
    unrecorded: int = 0


@dataclass
class Claimed:
    specs: list[PollSpec]
    failed: list[PollResult]  # devices whose credentials cannot be read
    tenant_of: dict[uuid.UUID, uuid.UUID]
    due_at: dict[uuid.UUID, datetime | None]  # when each device was due

    def stamped(self, results: list[PollResult]) -> list[PollResult]:
        """The results with the time each device was due, which its next poll counts from."""
        for result in results:
            result.due_at = self.due_at.get(result.device_id)
        return results


def claim(ctx: JobContext, now: datetime, limit: int) -> Claimed:
    """Claim this cycle's due devices (a short transaction of its own) and build their specs;
    failed results for devices whose credentials cannot be read."""
    conf = get_devices_settings()
    with ctx.database.unit_of_work() as session:
        slots = service.claim_slots(session, now, limit,
                                    timedelta(seconds=conf.poll_lease_seconds))
        devices = [device for device, _due in slots]
        specs, failed = service.specs_for(
            ctx.settings, devices, now, timedelta(minutes=conf.discovery_interval_minutes),
            timedelta(seconds=conf.interface_status_interval_seconds),
            service.interface_counts(session, [d.id for d in devices]))
        return Claimed(specs, failed, {d.id: d.tenant_id for d in devices},
                       {d.id: due for d, due in slots})


def record(ctx: JobContext, results: list[PollResult],
           tenant_of: dict[uuid.UUID, uuid.UUID]) -> Recorded:
    """Store poll results a batch per transaction; a failing batch is recorded as a job
    failure of its tenants and the next batch goes on."""
    outcome = Recorded()
    # A transaction per batch: the writer lock (SQLite) or the rows (PostgreSQL) are held for
    # a hundred devices at a time, not thousands, and a failing batch loses only itself.
    for start in range(0, len(results), RECORD_BATCH):
        batch = results[start:start + RECORD_BATCH]
        try:
            with ctx.database.unit_of_work() as session:
                stored = {d.id: d for d in session.scalars(
                    select(Device).where(Device.id.in_([r.device_id for r in batch])))}
                # a device deleted while being polled is left out
                service.record_polls(session, [(stored[r.device_id], r) for r in batch
                                               if r.device_id in stored])
        except Exception as exc:
            log.exception("recording a batch of poll results failed",
                          extra={"devices": len(batch)})
            outcome.unrecorded += len(batch)
            for tenant_id in sorted({tenant_of[r.device_id] for r in batch
                                     if r.device_id in tenant_of}):
                history.record_failure(ctx.database, "devices.poll_devices", tenant_id,
                                       f"poll results of up to {len(batch)} devices not "
                                       f"recorded: {type(exc).__name__}: {exc}")
            continue
        outcome.answered += sum(r.reachable for r in batch)
        outcome.counters += sum(r.counters_read for r in batch)
    return outcome


@job("devices.poll_devices", every=timedelta(seconds=10))
def poll_devices(ctx: JobContext) -> str:
    """Poll the devices whose interval has come round (claimed, so several pollers share the
    work without polling a device twice), concurrently, over SNMP."""
    conf = get_devices_settings()
    claimed = claim(ctx, utcnow(), int(ctx.params.get("limit", conf.poll_batch_limit)))
    if not claimed.specs and not claimed.failed:
        return "no device due"
    started = time.perf_counter()
    results = claimed.stamped(run_cycle(claimed.specs, concurrency=conf.poll_concurrency)
                              + claimed.failed)
    export.CYCLE.observe(time.perf_counter() - started)
    done = record(ctx, results, claimed.tenant_of)
    summary = (f"polled {len(results)} devices: {done.answered} answered, "
               f"{len(results) - done.answered - done.unrecorded} did not; "
               f"{done.counters} counters read")
    return summary + (f"; {done.unrecorded} results not recorded (see the log)"
                      if done.unrecorded else "")


@job("devices.rollup_metrics", every=timedelta(minutes=10))
def rollup_metrics(ctx: JobContext) -> str:
    """Roll raw poll points up into hours and prune both by the retention policy."""
    conf = get_devices_settings()
    now = ctx.params.get("now", utcnow())
    with ctx.database.unit_of_work() as session:
        outcome = rollup.roll_up(session, now)
    rollup.prune(ctx.database, now, outcome,
                 raw_retention=timedelta(days=conf.raw_retention_days),
                 rollup_retention=timedelta(days=conf.rollup_retention_days),
                 batch_size=ctx.settings.retention.batch_size)
    return outcome.summary()
