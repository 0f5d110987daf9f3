"""Jobs about jobs: the run history is kept for settings.retention.job_history_days."""

from __future__ import annotations

from datetime import timedelta

from dotmac_isp.jobs import history
from dotmac_isp.jobs.registry import JobContext, job


@job("jobs.prune_history", every=timedelta(hours=6))
def prune_history(ctx: JobContext) -> str:
    """Delete job run records and tenants' job failures older than the kept days."""
    kept = ctx.settings.retention
    removed = history.prune(ctx.database, ctx.now - timedelta(days=kept.job_history_days),
                            kept.batch_size)
    return f"{removed} job record(s) removed"
