"""IPAM background jobs."""

from __future__ import annotations

from datetime import timedelta

from dotmac_isp.jobs.registry import JobContext, job
from dotmac_isp.modules.network.ipam import service


@job("network.release_held_addresses", every=timedelta(minutes=10))
def release_held_addresses(ctx: JobContext) -> str:
    """Release addresses and delegated prefixes whose post-termination hold has expired."""
    cutoff = ctx.now - timedelta(hours=ctx.settings.ipam.release_hold_hours)
    with ctx.database.unit_of_work(write=False) as session:
        pools = service.pools_with_expired_holds(session, cutoff)
    released = 0
    # One transaction per pool: the job never holds more than one pool lock at a time, so it
    # cannot deadlock with allocations, and one bad pool does not undo the others.
    for tenant_id, pool_id in pools:
        with ctx.database.unit_of_work() as session:
            released += service.release_expired_holds(session, tenant_id, pool_id, cutoff,
                                                      ctx.now)
    return f"released {released} held allocation(s) in {len(pools)} pool(s)"
