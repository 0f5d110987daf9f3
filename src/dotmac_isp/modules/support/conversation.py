"""The conversation on a ticket: public replies, internal notes, the merged timeline."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.support import notify, schemas, service, sla, timeline
from dotmac_isp.modules.support.enums import AuthorType, MessageKind, SlaTarget, TicketStatus
from dotmac_isp.modules.support.models import Ticket, TicketMessage
from dotmac_isp.modules.support.repository import EventRepository, MessageRepository
from dotmac_isp.shared.errors import Conflict
from dotmac_isp.shared.pagination import Page, PageParams
from dotmac_isp.shared.types import utcnow

S = TicketStatus


def _open_for_messages(ticket: Ticket) -> None:
    if ticket.status == S.CLOSED:
        raise Conflict(f"ticket {ticket.number} is closed; open a new ticket instead")


def _message(ticket: Ticket, kind: MessageKind, author_type: AuthorType, body: str, now: datetime,
             *, author_id: uuid.UUID | None = None, author: str = "", via: str = "staff",
             email_message_id: str | None = None) -> TicketMessage:
    return TicketMessage(tenant_id=ticket.tenant_id, ticket_id=ticket.id, kind=kind.value,
                         author_type=author_type.value, author_user_id=author_id,
                         author_label=author[:254], via=via, body=body, created_at=now,
                         email_message_id=email_message_id)


def add_reply(session: Session, tenant_id: uuid.UUID, ticket_id: uuid.UUID,
              data: schemas.ReplyIn, *, now: datetime | None = None,
              settings: Settings | None = None, outage_notice: bool = False) -> TicketMessage:
    """A public reply by staff: the first one meets the first-response target; the customer
    is emailed (the resolution email when the reply resolves the ticket), unless the reply is
    an outage notice and they turned outage notices off (it is on the ticket all the same)."""
    now = now or utcnow()
    ticket = service.get_ticket(session, tenant_id, ticket_id, for_update=True)
    _open_for_messages(ticket)
    author_id, author = timeline.staff_author(session, tenant_id)
    message = _message(ticket, MessageKind.REPLY, AuthorType.STAFF, data.body, now,
                       author_id=author_id, author=author)
    session.add(message)
    if ticket.first_responded_at is None:
        ticket.first_responded_at = now
        calendar = service.calendar_for(session, ticket)
        if calendar is not None:
            timeline.record_sla(session, ticket, sla.complete(
                ticket, SlaTarget.FIRST_RESPONSE, calendar, now), now)
    target = data.status
    if target is None and ticket.status in (S.NEW, S.REOPENED):
        target = S.OPEN
    if target is not None and target.value != ticket.status:
        service.apply_status(session, ticket, target, now)
    session.flush()
    if outage_notice and not notify.wants_outage_notices(session, ticket):
        return message
    if target == S.RESOLVED:
        notify.ticket_resolved(session, ticket, data.body, settings)
    else:
        notify.ticket_replied(session, ticket, data.body, author, settings)
    return message


def add_note(session: Session, tenant_id: uuid.UUID, ticket_id: uuid.UUID,
             data: schemas.NoteIn, *, now: datetime | None = None) -> TicketMessage:
    """An internal note: staff only, no email, no effect on the SLA."""
    ticket = service.get_ticket(session, tenant_id, ticket_id)
    author_id, author = timeline.staff_author(session, tenant_id)
    message = _message(ticket, MessageKind.NOTE, AuthorType.STAFF, data.body, now or utcnow(),
                       author_id=author_id, author=author)
    session.add(message)
    session.flush()
    return message


def add_customer_reply(session: Session, tenant_id: uuid.UUID, ticket_id: uuid.UUID, body: str,
                       *, via: str, now: datetime | None = None,
                       email_message_id: str | None = None,
                       settings: Settings | None = None) -> TicketMessage:
    """The customer answered (portal or email): a waiting ticket opens again and its clock
    resumes, a resolved one is reopened; the assignee (or team) is emailed."""
    now = now or utcnow()
    ticket = service.get_ticket(session, tenant_id, ticket_id, for_update=True)
    _open_for_messages(ticket)
    if ticket.merged_into_id is not None:
        raise Conflict(f"ticket {ticket.number} was merged; reply on the ticket it joined")
    customer = customers_service.get_customer(session, tenant_id, ticket.customer_id)
    message = _message(ticket, MessageKind.REPLY, AuthorType.CUSTOMER, body, now,
                       author=customer.display_name, via=via,
                       email_message_id=email_message_id)
    session.add(message)
    if ticket.status == S.PENDING_CUSTOMER:
        service.apply_status(session, ticket, S.OPEN, now, reason="the customer replied")
    elif ticket.status == S.RESOLVED:
        service.apply_status(session, ticket, S.REOPENED, now, reason="the customer replied")
    session.flush()
    notify.customer_replied(session, ticket, body, customer.display_name, settings)
    return message


def list_messages(session: Session, tenant_id: uuid.UUID, ticket_id: uuid.UUID,
                  params: PageParams, *, public_only: bool = False) -> Page[TicketMessage]:
    ticket = service.get_ticket(session, tenant_id, ticket_id)
    repo = MessageRepository(session, tenant_id)
    return repo.list(params, repo.for_ticket(ticket.id, public_only=public_only))


def timeline_items(session: Session, tenant_id: uuid.UUID, ticket_id: uuid.UUID,
                   params: PageParams) -> Page[schemas.TimelineItem]:
    """Messages, notes and events in the order they happened."""
    ticket = service.get_ticket(session, tenant_id, ticket_id)
    messages = session.scalars(MessageRepository(session, tenant_id).for_ticket(ticket.id))
    events = session.scalars(EventRepository(session, tenant_id).for_ticket(ticket.id))
    items = [schemas.TimelineItem(at=m.created_at, type="message", kind=m.kind,
                                  who=m.author_label, text=m.body, id=m.id,
                                  data={"author_type": m.author_type, "via": m.via})
             for m in messages]
    items += [schemas.TimelineItem(at=e.created_at, type="event", kind=e.kind, who=e.actor_label,
                                   text=e.summary, data=e.data, id=e.id) for e in events]
    # Events recorded in the same instant as a message follow it.
    items.sort(key=lambda i: (i.at, i.type != "message"))
    chosen = items[params.offset:params.offset + params.limit]
    return Page(items=chosen, total=len(items), limit=params.limit, offset=params.offset)
