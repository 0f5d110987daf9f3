"""The e-invoice files an issued-invoice email carries, for customers who chose them on their
billing account: the Factur-X PDF, and the UBL XML too when chosen."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing.einvoice import service
from dotmac_isp.modules.billing.models import BillingAccount
from dotmac_isp.modules.notifications import service as notifications

EVENT = "billing.invoice_issued"


def choices(session: Session, tenant_id: uuid.UUID,
            customer_ids: list[uuid.UUID]) -> dict[uuid.UUID, bool]:
    """Customers who get e-invoices by email -> whether the UBL XML goes too (one query)."""
    if not customer_ids:
        return {}
    rows = session.execute(select(BillingAccount.customer_id, BillingAccount.einvoice_ubl)
                           .where(BillingAccount.tenant_id == tenant_id,
                                  BillingAccount.einvoice_email.is_(True),
                                  BillingAccount.customer_id.in_(customer_ids)))
    return {customer_id: bool(ubl) for customer_id, ubl in rows}


def files_for(session: Session, tenant_id: uuid.UUID, invoice_id: uuid.UUID,
              with_ubl: bool) -> list[tuple[str, str, bytes]]:
    documents = [service.invoice_facturx(session, tenant_id, invoice_id)]
    if with_ubl:
        documents.append(service.invoice_ubl(session, tenant_id, invoice_id))
    return [(d.filename, service.PDF if d.filename.endswith(".pdf") else service.XML,
             d.content) for d in documents]


def attach_einvoices(session: Session, tenant_id: uuid.UUID,
                     invoices: list[tuple[uuid.UUID, uuid.UUID]]) -> int:
    """Attach the e-invoice to the queued issued-invoice email of each (invoice, customer)
    whose customer chose it; the others cost one query. Returns how many emails got files."""
    chosen = choices(session, tenant_id, list({customer for _, customer in invoices}))
    wanted = {invoice: chosen[customer] for invoice, customer in invoices if customer in chosen}
    if not wanted:
        return 0
    attached = 0
    for delivery_id, invoice_id in notifications.queued_about(session, tenant_id, EVENT,
                                                              "billing", list(wanted)):
        notifications.attach(session, tenant_id, delivery_id,
                             files_for(session, tenant_id, invoice_id, wanted[invoice_id]))
        attached += 1
    return attached
