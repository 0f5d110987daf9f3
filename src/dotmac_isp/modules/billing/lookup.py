"""Invoices found by the number staff type into the console's search."""

from __future__ import annotations

import uuid

from sqlalchemy import or_
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing.models import Invoice
from dotmac_isp.modules.billing.repository import InvoiceRepository


def invoices_by_number(session: Session, tenant_id: uuid.UUID, text: str, *,
                       limit: int = 10) -> list[Invoice]:
    """The tenant's invoices whose number is the text, or starts with it (any case)."""
    term = text.strip().upper()
    if len(term) < 3 or len(term) > 40 or any(c.isspace() for c in term):
        return []
    prefix = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    repo = InvoiceRepository(session, tenant_id)
    stmt = (repo.select().where(or_(Invoice.number == term,
                                    Invoice.number.like(prefix, escape="\\")))
            .order_by(Invoice.number).limit(limit))
    return list(session.scalars(stmt))
