"""Billing jobs: the daily recurring run, overdue marking and dunning."""

from __future__ import annotations

from datetime import timedelta

from dotmac_isp.jobs.registry import JobContext, job
from dotmac_isp.modules.billing import dunning, invoices, run, service
from dotmac_isp.modules.billing.charging import local_date
from dotmac_isp.modules.identity import service as identity_service


@job("billing.run_recurring", every=timedelta(hours=1))
def run_recurring(ctx: JobContext) -> str:
    """Bill due subscription-periods for every tenant (hourly; a period is billed once)."""
    with ctx.database.unit_of_work(write=False) as session:
        tenants = [(t, identity_service.get_tenant(session, t).timezone)
                   for t in service.tenants_to_bill(session)]
    periods = invoices_issued = 0
    for tenant_id, timezone in tenants:
        day = ctx.params.get("date") or local_date(ctx.now, timezone)
        record = run.run(ctx.database, tenant_id, day,
                         chunk_size=int(ctx.params.get("chunk_size", 1000)),
                         pause_seconds=float(ctx.params.get("pause_seconds", 0)))
        periods += record.periods_billed
        invoices_issued += record.invoices_issued
    return f"{len(tenants)} tenants, {periods} periods billed, {invoices_issued} invoices issued"


@job("billing.dunning", every=timedelta(hours=1))
def run_dunning(ctx: JobContext) -> str:
    """Mark overdue invoices, then remind, charge late fees and suspend per the tenant's
    stages (each stage acts once per invoice)."""
    totals: dict[str, int] = {}
    with ctx.database.unit_of_work() as session:
        tenants = [(t, identity_service.get_tenant(session, t).timezone)
                   for t in service.tenants_to_bill(session)]
    for tenant_id, timezone in tenants:
        day = ctx.params.get("date") or local_date(ctx.now, timezone)
        with ctx.database.unit_of_work() as session:
            invoices.mark_overdue_for(session, tenant_id, day)
            for key, value in dunning.run_dunning(session, tenant_id, day).items():
                totals[key] = totals.get(key, 0) + value
    return ", ".join(f"{v} {k}" for k, v in sorted(totals.items())) or "nothing to do"
