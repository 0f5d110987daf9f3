"""Jobs of the notifications module."""

from __future__ import annotations

from datetime import timedelta

from dotmac_isp.jobs.registry import JobContext, job
from dotmac_isp.modules.notifications import retention
from dotmac_isp.modules.notifications.outbox import send_due
from dotmac_isp.modules.notifications.settings import get_notification_settings


@job("notifications.send_pending", every=timedelta(seconds=30))
def send_pending(ctx: JobContext) -> str:
    """Send queued notifications and retry failed ones whose backoff has passed.

    Each delivery is claimed before it is sent, so a second run (or a second worker) never
    sends the same message again.
    """
    conf = get_notification_settings()
    if not ctx.settings.mail.smtp_host:
        return "no SMTP server configured (DOTMAC_MAIL__SMTP_HOST); messages stay queued"
    summary = send_due(ctx.database.unit_of_work, ctx.settings.mail, ctx.now,
                       limit=conf.batch_size, lease=timedelta(seconds=conf.lease_seconds))
    return str(summary)


@job("notifications.prune_delivery_log", every=timedelta(hours=6))
def prune_delivery_log(ctx: JobContext) -> str:
    """Delete sent and failed deliveries older than the retention period, in batches."""
    conf = ctx.settings.retention
    deleted = retention.prune_delivery_log(ctx.database, ctx.now, days=conf.delivery_log_days,
                                           batch_size=conf.batch_size)
    return f"{deleted} deliveries older than {conf.delivery_log_days} days deleted"
