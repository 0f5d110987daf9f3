"""Merging a duplicate ticket into the one that stays."""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import partial

from sqlalchemy import update
from sqlalchemy.orm import Session

from dotmac_isp.modules.support import service, timeline
from dotmac_isp.modules.support.enums import (
    AuthorType,
    EventKind,
    MessageKind,
    SlaState,
    TicketStatus,
)
from dotmac_isp.modules.support.models import Ticket, TicketAttachment, TicketMessage
from dotmac_isp.shared import references
from dotmac_isp.shared.errors import Conflict, ValidationFailed
from dotmac_isp.shared.types import utcnow


def merge_tickets(session: Session, tenant_id: uuid.UUID, duplicate_id: uuid.UUID,
                  into_id: uuid.UUID, *, now: datetime | None = None) -> Ticket:
    """Move the duplicate's conversation and attachments into the other ticket and close the
    duplicate with a pointer to it. Both must belong to the same customer."""
    now = now or utcnow()
    duplicate = service.get_ticket(session, tenant_id, duplicate_id, for_update=True)
    if duplicate_id == into_id:
        raise ValidationFailed("into_ticket_id: a ticket cannot be merged into itself")
    into = references.referenced(session, partial(service.get_ticket, session, tenant_id,
                                                  for_update=True), into_id, "into_ticket_id",
                                 "ticket")
    if duplicate.customer_id != into.customer_id:
        raise ValidationFailed("into_ticket_id: only tickets of the same customer can be merged")
    if duplicate.merged_into_id is not None:
        raise Conflict(f"ticket {duplicate.number} was merged already")
    for ticket in (duplicate, into):
        if ticket.status == TicketStatus.CLOSED:
            raise Conflict(f"ticket {ticket.number} is closed")
    for model in (TicketMessage, TicketAttachment):
        session.execute(update(model).where(model.tenant_id == tenant_id,
                                            model.ticket_id == duplicate.id)
                        .values(ticket_id=into.id).execution_options(synchronize_session=False))
    into.tags = sorted(set(into.tags) | set(duplicate.tags))
    if into.incident_id is None:
        into.incident_id = duplicate.incident_id
    previous = duplicate.status
    duplicate.merged_into_id = into.id
    duplicate.status, duplicate.status_changed_at, duplicate.closed_at = \
        TicketStatus.CLOSED.value, now, now
    # A duplicate's targets no longer measure anything: the surviving ticket carries on.
    for target in ("first_response", "resolution"):
        if getattr(duplicate, f"{target}_state") not in (SlaState.MET, SlaState.BREACHED):
            setattr(duplicate, f"{target}_state", SlaState.NONE.value)
            setattr(duplicate, f"{target}_due_at", None)
            setattr(duplicate, f"{target}_at_risk_at", None)
    duplicate.sla_running_since = None
    session.add(TicketMessage(
        tenant_id=tenant_id, ticket_id=duplicate.id, kind=MessageKind.REPLY.value,
        author_type=AuthorType.SYSTEM.value, author_label="system", via="system",
        body=f"This request was merged into ticket {into.number}; the conversation continues "
             "there.", created_at=now))
    timeline.record(session, duplicate, EventKind.MERGED,
                    f"merged into {into.number} (was {previous})", now,
                    {"into": str(into.id)})
    timeline.record(session, into, EventKind.MERGED,
                    f"{duplicate.number} merged into this ticket", now,
                    {"from": str(duplicate.id)})
    session.flush()
    session.expire_all()
    return service.get_ticket(session, tenant_id, into.id)
