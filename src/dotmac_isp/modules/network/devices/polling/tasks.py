"""Poller and rollup jobs: run by the in-process scheduler, the CLI or a Celery worker."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from sqlalchemy import select

from dotmac_isp.jobs import history
from dotmac_isp.jobs.registry import JobContext, job
from dotmac_isp.modules.network.devices.models import Device
from dotmac_isp.modules.network.devices.polling import export, rollup, service
from dotmac_isp.modules.network.devices.polling.poller import run_cycle
from dotmac_isp.modules.network.devices.settings import get_devices_settings
from dotmac_isp.shared.types import utcnow

log = logging.getLogger(__name__)
RECORD_BATCH = 100  # poll results stored per transaction


@job("devices.poll_devices", every=timedelta(seconds=10))
def poll_devices(ctx: JobContext) -> str:
    """Poll every device whose interval has come round, concurrently, over SNMP."""
    conf = get_devices_settings()
    now = utcnow()
    with ctx.database.unit_of_work(write=False) as session:
        devices = service.due_devices(session, now, int(ctx.params.get("limit",
                                                                       conf.poll_batch_limit)))
        specs, failed = service.specs_for(ctx.settings, devices, now,
                                          timedelta(minutes=conf.discovery_interval_minutes))
        tenant_of = {d.id: d.tenant_id for d in devices}
    if not specs and not failed:
        return "no device due"
    started = time.perf_counter()
    results = run_cycle(specs, concurrency=conf.poll_concurrency) + failed
    export.CYCLE.observe(time.perf_counter() - started)
    answered = counters = unrecorded = 0
    # A transaction per batch: the writer lock (SQLite) or the rows (PostgreSQL) are held for
    # a hundred devices at a time, not thousands, and a failing batch loses only itself.
    for start in range(0, len(results), RECORD_BATCH):
        batch = results[start:start + RECORD_BATCH]
        try:
            with ctx.database.unit_of_work() as session:
                stored = {d.id: d for d in session.scalars(
                    select(Device).where(Device.id.in_([r.device_id for r in batch])))}
                for result in batch:
                    device = stored.get(result.device_id)
                    if device is None:  # deleted while being polled
                        continue
                    service.record_poll(session, device, result)
        except Exception as exc:
            log.exception("recording a batch of poll results failed",
                          extra={"devices": len(batch)})
            unrecorded += len(batch)
            for tenant_id in sorted({tenant_of[r.device_id] for r in batch
                                     if r.device_id in tenant_of}):
                history.record_failure(ctx.database, "devices.poll_devices", tenant_id,
                                       f"poll results of up to {len(batch)} devices not "
                                       f"recorded: {type(exc).__name__}: {exc}")
            continue
        answered += sum(r.reachable for r in batch)
        counters += sum(r.counters_read for r in batch)
    summary = (f"polled {len(results)} devices: {answered} answered, "
               f"{len(results) - answered - unrecorded} did not; {counters} counters read")
    return summary + (f"; {unrecorded} results not recorded (see the log)" if unrecorded else "")


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
