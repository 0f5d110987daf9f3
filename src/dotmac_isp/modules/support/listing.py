"""The staff ticket queue: filters, whitelisted sorts, CSV rows, and assigning many at once."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, case
from sqlalchemy.orm import Session

from dotmac_isp.modules.support import schemas, service
from dotmac_isp.modules.support.models import Ticket
from dotmac_isp.modules.support.repository import TicketRepository
from dotmac_isp.shared.enums import Priority
from dotmac_isp.shared.list_pages import Walk

SORTS: dict[str, Any] = {
    "number": Ticket.number,
    "subject": Ticket.subject,
    # lowest first, as the enum lists them, not alphabetically
    "priority": case({p.value: n for n, p in enumerate(Priority)}, value=Ticket.priority,
                     else_=len(Priority)),
    "status": Ticket.status,
    "created": Ticket.created_at,
}
TIE = Ticket.id
# The sort by priority walks the priorities in order, each a range of the tickets' index.
PRIORITY_WALK = Walk(column=Ticket.priority, steps=[(p.value, n) for n, p in enumerate(Priority)])
CSV_HEADER = ["number", "subject", "customer_number", "customer", "priority", "status",
              "assignee", "created_at"]


def ticket_query(session: Session, tenant_id: uuid.UUID, **filters: Any) -> Select[Any]:
    """The tickets the queue shows for the filters TicketRepository.search() knows."""
    return TicketRepository(session, tenant_id).search(**filters)


def csv_cells(ticket: Ticket, customer: Any, assignee: Any) -> list[object]:
    return [ticket.number, ticket.subject, customer.number if customer else "",
            customer.display_name if customer else "", ticket.priority, ticket.status,
            assignee.email if assignee else "", ticket.created_at.isoformat()]


def tickets_among(session: Session, tenant_id: uuid.UUID,
                  ids: Sequence[uuid.UUID]) -> list[Ticket]:
    """The tenant's tickets among the ids (another tenant's ids are simply not found)."""
    if not ids:
        return []
    repo = TicketRepository(session, tenant_id)
    return list(session.scalars(repo.select().where(Ticket.id.in_(ids)).order_by(Ticket.number)))


def assign_tickets(session: Session, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID],
                   assignee_id: uuid.UUID | None) -> list[Ticket]:
    """Assign each of the tenant's tickets among the ids, one update each (timeline and audit
    as for one); the assignee must be an active staff user of the tenant."""
    update = schemas.TicketUpdate(assignee_id=assignee_id)
    return [service.update_ticket(session, tenant_id, t.id, update)
            for t in tickets_among(session, tenant_id, ids)]
