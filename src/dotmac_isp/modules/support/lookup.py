"""Tickets found by the number staff type into the console's search."""

from __future__ import annotations

import uuid

from sqlalchemy import or_
from sqlalchemy.orm import Session

from dotmac_isp.modules.support.models import Ticket
from dotmac_isp.modules.support.repository import TicketRepository


def tickets_by_number(session: Session, tenant_id: uuid.UUID, text: str, *,
                      limit: int = 10) -> list[Ticket]:
    """The tenant's tickets whose number is the text, or starts with it (any case)."""
    term = text.strip().upper()
    if len(term) < 3 or len(term) > 40 or any(c.isspace() for c in term):
        return []
    prefix = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    repo = TicketRepository(session, tenant_id)
    stmt = (repo.select().where(or_(Ticket.number == term,
                                    Ticket.number.like(prefix, escape="\\")))
            .order_by(Ticket.number).limit(limit))
    return list(session.scalars(stmt))
