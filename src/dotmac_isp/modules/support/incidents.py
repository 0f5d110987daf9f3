"""Tickets of an outage: incidents are the network module's; here a ticket carries the
incident's id, and resolving the incident resolves its tickets with one public reply.

Other modules call resolve_incident_tickets() when an incident closes.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import partial

from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.network.alerts import service as alerts_service
from dotmac_isp.modules.support import conversation, schemas, service, timeline
from dotmac_isp.modules.support.enums import DONE, EventKind, TicketStatus
from dotmac_isp.modules.support.models import Ticket
from dotmac_isp.modules.support.repository import TicketRepository
from dotmac_isp.shared import references
from dotmac_isp.shared.errors import Conflict
from dotmac_isp.shared.types import utcnow


def link_incident(session: Session, tenant_id: uuid.UUID, ticket_id: uuid.UUID,
                  incident_id: uuid.UUID, *, now: datetime | None = None) -> Ticket:
    ticket = service.get_ticket(session, tenant_id, ticket_id, for_update=True)
    if ticket.incident_id == incident_id:
        return ticket
    references.referenced(session, partial(alerts_service.get_incident, session, tenant_id),
                          incident_id, "incident_id", "incident")
    ticket.incident_id = incident_id
    timeline.record(session, ticket, EventKind.INCIDENT, f"linked to incident {incident_id}",
                    now or utcnow(), {"incident_id": str(incident_id)})
    session.flush()
    return ticket


def unlink_incident(session: Session, tenant_id: uuid.UUID, ticket_id: uuid.UUID, *,
                    now: datetime | None = None) -> Ticket:
    ticket = service.get_ticket(session, tenant_id, ticket_id, for_update=True)
    if ticket.incident_id is None:
        raise Conflict("the ticket is not linked to an incident")
    old, ticket.incident_id = ticket.incident_id, None
    timeline.record(session, ticket, EventKind.INCIDENT, f"unlinked from incident {old}",
                    now or utcnow(), {"incident_id": None})
    session.flush()
    return ticket


def incident_tickets(session: Session, tenant_id: uuid.UUID,
                     incident_id: uuid.UUID) -> list[Ticket]:
    return TicketRepository(session, tenant_id).for_incident(incident_id)


def resolve_incident_tickets(session: Session, tenant_id: uuid.UUID, incident_id: uuid.UUID,
                             reply: str, *, now: datetime | None = None,
                             settings: Settings | None = None) -> list[Ticket]:
    """Post `reply` publicly on every open ticket of the incident and resolve each; tickets
    already resolved or closed are left alone. The reply is an outage notice: customers who
    turned those off are not emailed. Returns the tickets resolved now."""
    now = now or utcnow()
    references.referenced(session, partial(alerts_service.get_incident, session, tenant_id),
                          incident_id, "incident_id", "incident")
    resolved = []
    for ticket in incident_tickets(session, tenant_id, incident_id):
        if TicketStatus(ticket.status) in DONE:
            continue
        conversation.add_reply(session, tenant_id, ticket.id,
                               schemas.ReplyIn(body=reply, status=TicketStatus.RESOLVED),
                               now=now, settings=settings, outage_notice=True)
        resolved.append(ticket)
    return resolved
