"""The staff invoice list: the same filters as the figures above it, whitelisted sorts and
CSV rows."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing.enums import OPEN_STATUSES
from dotmac_isp.modules.billing.models import Invoice
from dotmac_isp.modules.billing.repository import InvoiceRepository
from dotmac_isp.modules.billing.service import tenant_today
from dotmac_isp.shared.money import round_money

SORTS: dict[str, Any] = {
    "number": Invoice.number,
    "status": Invoice.status,
    "issued": Invoice.issue_date,
    "due": Invoice.due_date,
    "total": Invoice.total,
    "created": Invoice.created_at,
}
TIE = Invoice.id
CSV_HEADER = ["number", "customer_number", "customer", "status", "issue_date", "due_date",
              "currency", "total", "balance_due"]


def invoice_query(session: Session, tenant_id: uuid.UUID, *, status: str | None,
                  overdue: bool, customer_id: uuid.UUID | None) -> Select[Any]:
    """The invoices the list shows (what invoice_figures() counts for the same filters)."""
    stmt = InvoiceRepository(session, tenant_id).select()
    if customer_id:
        stmt = stmt.where(Invoice.customer_id == customer_id)
    if status:
        stmt = stmt.where(Invoice.status == status)
    if overdue:
        stmt = stmt.where(Invoice.status.in_([s.value for s in OPEN_STATUSES]),
                          Invoice.due_date < tenant_today(session, tenant_id))
    return stmt


def csv_cells(invoice: Invoice, customer: Any) -> list[object]:
    return [invoice.number or "draft", customer.number if customer else "",
            customer.display_name if customer else "", invoice.status,
            invoice.issue_date or "", invoice.due_date or "", invoice.currency,
            round_money(invoice.total), round_money(invoice.balance_due)]
