"""The monthly commission statements job."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta

from sqlalchemy.orm import Session

from dotmac_isp.jobs.registry import JobContext, job
from dotmac_isp.jobs.tenants import for_each_tenant
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.resellers import statements


@job("resellers.commission_statements", every=timedelta(hours=6), dated=True)
def commission_statements(ctx: JobContext) -> str:
    """Bring every reseller's commission statements of the month before the given day up to
    date (drafts only: approved statements are final); running it again changes nothing."""
    with ctx.database.unit_of_work(write=False) as session:
        tenants = identity_service.active_tenant_ids(session)

    def one_tenant(session: Session, tenant_id: uuid.UUID) -> Counter[str]:
        tenant = identity_service.get_tenant(session, tenant_id)
        day = ctx.params.get("date") or ctx.now.astimezone(
            statements.zone_of(tenant.timezone)).date()
        first = statements.previous_month(day)
        counts: Counter[str] = Counter()
        for reseller_id in statements.reseller_ids(session, tenant_id):
            for statement in statements.refresh(session, tenant_id, reseller_id, first):
                counts[statement.status] += 1
        return counts

    outcome = for_each_tenant(ctx, "resellers.commission_statements", tenants, one_tenant)
    total: Counter[str] = Counter()
    for counts in outcome.results.values():
        total.update(counts)
    return outcome.summary(", ".join(f"{v} {k}" for k, v in sorted(total.items()))
                           or "no statements")
