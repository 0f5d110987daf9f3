"""Identity jobs: page-session records are kept only while they can still matter."""

from __future__ import annotations

from datetime import timedelta

from dotmac_isp.jobs.registry import JobContext, job
from dotmac_isp.modules.identity.models import WebSession
from dotmac_isp.shared import retention


@job("identity.prune_web_sessions", every=timedelta(hours=6))
def prune_web_sessions(ctx: JobContext) -> str:
    """Delete page-session records past their expiry (signed out or not): their cookies are
    refused by then anyway."""
    removed = retention.delete_in_batches(ctx.database, WebSession,
                                          WebSession.expires_at < ctx.now,
                                          batch_size=ctx.settings.retention.batch_size)
    return f"{removed} expired page session(s) removed"
