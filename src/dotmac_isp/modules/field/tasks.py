"""Jobs of the field module."""

from __future__ import annotations

import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from dotmac_isp.jobs.registry import JobContext, job
from dotmac_isp.jobs.tenants import for_each_tenant
from dotmac_isp.modules.field import reminders
from dotmac_isp.modules.identity import service as identity_service

JOB = "field.send_reminders"


@job(JOB, every=timedelta(hours=1), dated=True)
def send_reminders(ctx: JobContext) -> str:
    """Email each customer with an appointment tomorrow a reminder, once per appointment
    (a moved appointment gets a new one); --date runs it as of that day."""
    with ctx.database.unit_of_work(write=False) as session:
        tenant_ids = identity_service.active_tenant_ids(session)

    def remind(session: Session, tenant_id: uuid.UUID) -> int:
        zone = ZoneInfo(identity_service.get_tenant(session, tenant_id).timezone)
        today = ctx.params.get("date") or ctx.now.astimezone(zone).date()
        return reminders.send_for_tenant(session, tenant_id, today)

    outcome = for_each_tenant(ctx, JOB, tenant_ids, remind)
    return outcome.summary(f"{sum(outcome.results.values())} reminders queued")
