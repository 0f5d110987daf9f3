"""Jobs of the support module."""

from __future__ import annotations

from datetime import timedelta

from dotmac_isp.jobs.registry import JobContext, job
from dotmac_isp.modules.support.escalation import check_sla as run_check


@job("support.check_sla", every=timedelta(minutes=1))
def check_sla(ctx: JobContext) -> str:
    """Mark tickets whose SLA targets are at risk or breached, and escalate each breach once.

    Escalation records are unique per ticket, trigger and target, so a second run (or a
    second worker) escalates nothing again.
    """
    with ctx.database.unit_of_work() as session:
        summary = run_check(session, ctx.now, ctx.settings)
    return str(summary)
