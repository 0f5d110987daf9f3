"""Billing jobs: the daily recurring run, overdue marking and dunning. Each tenant is billed
and dunned on its own: one tenant's failure is logged and reported, the others go on."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy.orm import Session

from dotmac_isp.jobs.registry import JobContext, job
from dotmac_isp.jobs.tenants import isolated
from dotmac_isp.modules.billing import dunning, run, service
from dotmac_isp.modules.billing.charging import local_date
from dotmac_isp.modules.billing.models import BillingRun
from dotmac_isp.modules.identity import service as identity_service


def _tenants(ctx: JobContext) -> list[uuid.UUID]:
    with ctx.database.unit_of_work(write=False) as session:
        return service.tenants_to_bill(session)


def _day(ctx: JobContext, session: Session, tenant_id: uuid.UUID) -> date:
    """The day the job acts on for a tenant: the one asked for, or today in its time zone."""
    asked: date | None = ctx.params.get("date")
    return asked or local_date(ctx.now, identity_service.get_tenant(session, tenant_id).timezone)


@job("billing.run_recurring", every=timedelta(hours=1), dated=True)
def run_recurring(ctx: JobContext) -> str:
    """Bill due subscription-periods for every tenant (hourly; a period is billed once)."""

    def bill_tenant(tenant_id: uuid.UUID) -> BillingRun:
        with ctx.database.unit_of_work(write=False) as session:
            day = _day(ctx, session, tenant_id)
        # the run commits chunk by chunk, so it opens its own transactions
        return run.run(ctx.database, tenant_id, day,
                       chunk_size=int(ctx.params.get("chunk_size", 1000)),
                       pause_seconds=float(ctx.params.get("pause_seconds", 0)))

    outcome = isolated("billing.run_recurring", _tenants(ctx), bill_tenant, ctx.database)
    records = outcome.results.values()
    return outcome.summary(
        f"{len(outcome.results)} tenants, {sum(r.periods_billed for r in records)} periods "
        f"billed, {sum(r.invoices_issued for r in records)} invoices issued")


@job("billing.dunning", every=timedelta(hours=1), dated=True)
def run_dunning(ctx: JobContext) -> str:
    """Mark overdue invoices, then remind, charge late fees and suspend per the tenant's
    stages (each stage acts once per invoice)."""

    def dun_tenant(tenant_id: uuid.UUID) -> dunning.Pass:
        with ctx.database.unit_of_work(write=False) as session:
            day = _day(ctx, session, tenant_id)
        # a chunk commits at a time, so the pass opens its own transactions
        return dunning.run_for_tenant(ctx.database, tenant_id, day,
                                      chunk_size=int(ctx.params.get("chunk_size", 500)))

    outcome = isolated("billing.dunning", _tenants(ctx), dun_tenant, ctx.database)
    totals: dict[str, int] = {}
    failed = 0
    for done in outcome.results.values():
        failed += len(done.failures)
        for key, value in done.counts.items():
            totals[key] = totals.get(key, 0) + value
    if failed:
        totals["chunks failed (see the log)"] = failed
    return outcome.summary(", ".join(f"{v} {k}" for k, v in sorted(totals.items()))
                           or "nothing to do")
