"""Hotspot jobs."""

from __future__ import annotations

from datetime import timedelta

from dotmac_isp.jobs.registry import JobContext, job
from dotmac_isp.jobs.tenants import for_each_tenant
from dotmac_isp.modules.hotspot import service


@job("hotspot.expire_vouchers", every=timedelta(minutes=5))
def expire_vouchers(ctx: JobContext) -> str:
    """Mark active vouchers past their validity expired (each tenant in its own transaction);
    the RADIUS servers refuse them already, this keeps lists and exports exact."""
    with ctx.database.unit_of_work(write=False) as session:
        tenants = service.tenants_with_active_vouchers(session)
    outcome = for_each_tenant(ctx, "hotspot.expire_vouchers", tenants,
                              lambda session, tenant_id: service.expire_lapsed(
                                  session, tenant_id, ctx.now))
    return outcome.summary(f"{sum(outcome.results.values())} vouchers expired")
