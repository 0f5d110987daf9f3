"""IPAM background jobs."""

from __future__ import annotations

import logging
from datetime import timedelta

from dotmac_isp.jobs import history
from dotmac_isp.jobs.registry import JobContext, job
from dotmac_isp.modules.network.ipam import service

log = logging.getLogger(__name__)
JOB = "network.release_held_addresses"


@job(JOB, every=timedelta(minutes=10))
def release_held_addresses(ctx: JobContext) -> str:
    """Release addresses and delegated prefixes whose post-termination hold has expired."""
    cutoff = ctx.now - timedelta(hours=ctx.settings.ipam.release_hold_hours)
    with ctx.database.unit_of_work(write=False) as session:
        pools = service.pools_with_expired_holds(session, cutoff)
    released = failed = 0
    # One transaction per pool: the job never holds more than one pool lock at a time, so it
    # cannot deadlock with allocations, and one bad pool neither undoes nor stops the others;
    # its failure is recorded for the tenant's staff.
    for tenant_id, pool_id in pools:
        try:
            with ctx.database.unit_of_work() as session:
                released += service.release_expired_holds(session, tenant_id, pool_id,
                                                          cutoff, ctx.now)
        except Exception as exc:
            failed += 1
            log.exception("releasing a pool's held addresses failed; the next pool goes on",
                          extra={"tenant_id": str(tenant_id), "pool_id": str(pool_id)})
            history.record_failure(ctx.database, JOB, tenant_id,
                                   f"pool {pool_id}: {type(exc).__name__}: {exc}")
    return (f"released {released} held allocation(s) in {len(pools)} pool(s)"
            + (f"; {failed} pool(s) failed" if failed else ""))
