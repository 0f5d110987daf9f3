"""The autopay job: each tenant's due invoices of customers on autopay are charged to their
saved cards, one invoice per transaction, so one decline or gateway failure stops nothing."""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from datetime import timedelta

from dotmac_isp.jobs.registry import JobContext, job
from dotmac_isp.jobs.tenants import isolated
from dotmac_isp.modules.billing import service as billing
from dotmac_isp.modules.billing.charging import local_date
from dotmac_isp.modules.billing.gateways import autopay, retry_schedule
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.shared.errors import AppError

log = logging.getLogger(__name__)


@job("billing.charge_autopay", every=timedelta(hours=1), dated=True)
def charge_autopay(ctx: JobContext) -> str:
    """Charge due invoices of autopay customers to their saved cards (each invoice once a
    day; a decline is kept with the gateway's reason, emailed to the customer and tried again
    on the retry schedule, after which dunning has the invoice)."""
    with ctx.database.unit_of_work(write=False) as session:
        tenants = billing.tenants_to_bill(session)

    def charge_tenant(tenant_id: uuid.UUID) -> Counter[str]:
        counts: Counter[str] = Counter()
        with ctx.database.unit_of_work(write=False) as session:
            today = ctx.params.get("date") or local_date(
                ctx.now, identity_service.get_tenant(session, tenant_id).timezone)
            due = autopay.due_invoices(session, tenant_id, today,
                                       retry_days=retry_schedule.retry_days_of(
                                           session, ctx.settings, tenant_id))
        for invoice_id in due:
            try:
                with ctx.database.unit_of_work() as session:
                    counts[autopay.charge_invoice(session, ctx.settings, tenant_id, invoice_id,
                                                  today).status] += 1
            except AppError as exc:  # the gateway unreachable: the next run tries again
                counts["failed"] += 1
                log.warning("autopay charge failed", extra={
                    "tenant_id": str(tenant_id), "invoice_id": str(invoice_id),
                    "error": exc.detail})
        return counts

    outcome = isolated("billing.charge_autopay", tenants, charge_tenant, ctx.database)
    total: Counter[str] = Counter()
    for counts in outcome.results.values():
        total.update(counts)
    return outcome.summary(", ".join(f"{v} {k}" for k, v in sorted(total.items()))
                           or "nothing due")
