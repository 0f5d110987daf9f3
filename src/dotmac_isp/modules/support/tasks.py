"""Jobs of the support module."""

from __future__ import annotations

import uuid
from datetime import timedelta

from dotmac_isp.jobs.registry import JobContext, job
from dotmac_isp.jobs.tenants import isolated
from dotmac_isp.modules.support import sla_metrics
from dotmac_isp.modules.support.escalation import (
    CheckSummary,
    Key,
    check_chunk,
    tenants_to_check,
)

JOB = "support.check_sla"


@job(JOB, every=timedelta(minutes=1))
def check_sla(ctx: JobContext) -> str:
    """Mark tickets whose SLA targets are at risk or breached, and escalate each breach once.

    Escalation records are unique per ticket, trigger and target, so a second run (or a
    second worker) escalates nothing again. Each tenant is checked a chunk of tickets per
    transaction, so one tenant's failure does not hold up the others.
    """
    with ctx.database.unit_of_work(write=False) as session:
        tenant_ids = tenants_to_check(session, ctx.now)

    def check_tenant(tenant_id: uuid.UUID) -> CheckSummary:
        # A transaction per chunk of tickets: a backlog of thousands is worked through in
        # this run, without one transaction holding them all.
        summary = CheckSummary()
        after: Key | None = None
        while True:
            with ctx.database.unit_of_work() as session:
                after = check_chunk(session, ctx.now, ctx.settings, summary,
                                    tenant_id=tenant_id, after=after)
            if after is None:
                return summary

    outcome = isolated(JOB, tenant_ids, check_tenant, ctx.database)
    with ctx.database.unit_of_work(write=False) as session:
        sla_metrics.refresh(session)  # at risk and breached now, every tenant together
    total = CheckSummary()
    for part in outcome.results.values():
        for key in ("looked_at", "at_risk", "breached", "escalated", "skipped"):
            setattr(total, key, getattr(total, key) + getattr(part, key))
    return outcome.summary(str(total))
