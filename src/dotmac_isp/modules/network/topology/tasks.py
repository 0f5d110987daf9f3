"""The neighbour-discovery job: run by the in-process scheduler, the CLI or a Celery worker."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.orm import Session

from dotmac_isp.jobs.registry import JobContext, job
from dotmac_isp.jobs.tenants import for_each_tenant
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.network.topology import reader, service
from dotmac_isp.modules.network.topology.parsing import NeighbourReading
from dotmac_isp.sdks.snmp import SnmpTarget

JOB = "topology.discover_neighbours"


@job(JOB, every=timedelta(minutes=5))
def discover_neighbours(ctx: JobContext) -> str:
    """Read the LLDP/CDP neighbours of devices whose discovery interval has come round, all
    tenants' devices concurrently, and record each tenant's links in a transaction of its own
    (a tenant whose recording fails is reported, the others are still recorded)."""
    conf = ctx.settings.topology
    every = timedelta(minutes=conf.discovery_interval_minutes)
    limit = int(ctx.params.get("limit", conf.batch_limit))
    targets: dict[uuid.UUID, SnmpTarget] = {}
    readings: dict[uuid.UUID, NeighbourReading] = {}
    tenant_of: dict[uuid.UUID, uuid.UUID] = {}
    with ctx.database.unit_of_work(write=False) as session:
        for tenant_id in identity_service.active_tenant_ids(session):
            devices = service.due_devices(session, tenant_id, ctx.now, every,
                                          limit - len(tenant_of))
            tenant_of.update({d.id: tenant_id for d in devices})
            found, failed = service.targets_for(ctx.settings, devices)
            targets.update(found)
            readings.update(failed)
            if len(tenant_of) >= limit:
                break
    if not tenant_of:
        return "no device due"
    readings.update(reader.read_targets(targets, conf.concurrency))
    tenants = sorted(set(tenant_of.values()))

    def record(session: Session, tenant_id: uuid.UUID) -> service.Recorded:
        mine = {d: r for d, r in readings.items() if tenant_of[d] == tenant_id}
        return service.record_readings(session, tenant_id, mine, ctx.now,
                                       timedelta(hours=conf.link_max_age_hours))

    outcome = for_each_tenant(ctx, JOB, tenants, record)
    done = outcome.results.values()
    return outcome.summary(
        f"read {sum(r.devices for r in done)} devices ({sum(r.failed for r in done)} did "
        f"not answer): {sum(r.links_seen for r in done)} links seen, "
        f"{sum(r.links_new for r in done)} new, {sum(r.links_dropped for r in done)} dropped")
