"""Tickets: open, read, change, move through their statuses; the SLA clock follows.
Services flush only; the caller's unit of work commits."""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import partial

from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.network.alerts import service as alerts_service
from dotmac_isp.modules.network.devices import service as devices_service
from dotmac_isp.modules.notifications import threads
from dotmac_isp.modules.services import service as services_service
from dotmac_isp.modules.support import notify, policies, schemas, sla, timeline
from dotmac_isp.modules.support.businesstime import Calendar
from dotmac_isp.modules.support.enums import (
    DONE,
    TRANSITIONS,
    WAITING,
    AuthorType,
    EventKind,
    MessageKind,
    SlaTarget,
    TicketSource,
    TicketStatus,
)
from dotmac_isp.modules.support.models import Ticket, TicketMessage
from dotmac_isp.modules.support.repository import TeamRepository, TicketRepository
from dotmac_isp.shared import references, sequences
from dotmac_isp.shared.enums import Priority
from dotmac_isp.shared.errors import Conflict, ValidationFailed
from dotmac_isp.shared.pagination import Page, PageParams
from dotmac_isp.shared.types import utcnow

NUMBER_COUNTER = "ticket_number"
S = TicketStatus


class IllegalTransition(Conflict):
    """The ticket cannot move to that status from where it is."""

    code = "illegal_transition"


def format_number(value: int) -> str:
    return f"T{value:06d}"


def get_ticket(session: Session, tenant_id: uuid.UUID, ticket_id: uuid.UUID,
               *, for_update: bool = False) -> Ticket:
    return TicketRepository(session, tenant_id).get(ticket_id, for_update=for_update)


def list_tickets(session: Session, tenant_id: uuid.UUID, params: PageParams,
                 **filters: object) -> Page[Ticket]:
    repo = TicketRepository(session, tenant_id)
    return repo.list(params, repo.search(**filters))  # type: ignore[arg-type]


def calendar_for(session: Session, ticket: Ticket) -> Calendar | None:
    return policies.calendar_of_policy(session, ticket.tenant_id, ticket.sla_policy_id)


def _reference(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID,
               data: schemas.TicketCreate | schemas.TicketUpdate, fields: set[str]) -> None:
    """Body references must name rows of this tenant (the same 422 naming the field for
    another tenant's id and for an unknown one)."""
    if "subscription_id" in fields and data.subscription_id is not None:
        sub = references.referenced(session, partial(services_service.get_subscription,
                                                     session, tenant_id),
                                    data.subscription_id, "subscription_id", "subscription")
        if sub.customer_id != customer_id:
            raise ValidationFailed("subscription_id: the subscription belongs to another "
                                   "customer")
    if "device_id" in fields:
        references.optional(session, partial(devices_service.find_device, session, tenant_id),
                            data.device_id, "device_id", "device")
    if "incident_id" in fields and isinstance(data, schemas.TicketCreate):
        references.optional(session, partial(alerts_service.get_incident, session, tenant_id),
                            data.incident_id, "incident_id", "incident")
    if "assignee_id" in fields and data.assignee_id is not None:
        user = references.referenced(session, partial(identity_service.get_user, session,
                                                      tenant_id),
                                     data.assignee_id, "assignee_id", "staff user")
        if not user.is_active:
            raise ValidationFailed("assignee_id: that staff user is deactivated")
    if "team_id" in fields:
        references.optional(session, TeamRepository(session, tenant_id).find, data.team_id,
                            "team_id", "team")


def create_ticket(session: Session, tenant_id: uuid.UUID, data: schemas.TicketCreate, *,
                  now: datetime | None = None, settings: Settings | None = None) -> Ticket:
    """Open a ticket: next number, the matching SLA policy's clock starts, the customer gets
    an acknowledgement by email."""
    now = now or utcnow()
    customer = references.referenced(session, partial(customers_service.get_customer, session,
                                                      tenant_id),
                                     data.customer_id, "customer_id", "customer")
    _reference(session, tenant_id, customer.id, data, set(data.model_fields_set) | {
        "subscription_id", "device_id", "incident_id", "assignee_id", "team_id"})
    number = format_number(sequences.next_value(session, tenant_id, NUMBER_COUNTER))
    ticket = Ticket(
        number=number, customer_id=customer.id, subscription_id=data.subscription_id,
        device_id=data.device_id, incident_id=data.incident_id, subject=data.subject,
        category=data.category, priority=data.priority.value, status=S.NEW.value,
        source=data.source.value, assignee_id=data.assignee_id, team_id=data.team_id,
        tags=data.tags, reply_token=threads.new_tag(), status_changed_at=now, created_at=now,
        updated_at=now)
    policy = policies.select_policy(session, tenant_id, data.priority, data.category,
                                    customer.kind)
    TicketRepository(session, tenant_id).add(ticket)
    if policy is not None:
        calendar = policies.to_calendar(policies.get_calendar(session, tenant_id,
                                                              policy.calendar_id))
        first, resolution = sla.targets_for(policy.targets, data.priority)
        ticket.sla_policy_id = policy.id
        sla.start(ticket, calendar, now, first, resolution, policy.at_risk_percent)
    from_customer = data.source in (TicketSource.PORTAL, TicketSource.EMAIL)
    author_id, author = (None, customer.display_name) if from_customer else \
        timeline.staff_author(session, tenant_id)
    session.add(TicketMessage(
        tenant_id=tenant_id, ticket_id=ticket.id, kind=MessageKind.REPLY.value,
        author_type=(AuthorType.CUSTOMER if from_customer else AuthorType.STAFF).value,
        author_user_id=author_id, author_label=author[:254], via=data.source.value,
        body=data.description, created_at=now))
    timeline.record(session, ticket, EventKind.CREATED,
                    f"opened via {data.source.value} with {data.priority.value} priority"
                    + (f" under SLA policy {policy.name}" if policy else " (no SLA policy)"),
                    now)
    session.flush()
    # staff opening a ticket of an outage for the customer is an outage notice
    if from_customer or ticket.incident_id is None or notify.wants_outage_notices(session,
                                                                                 ticket):
        notify.ticket_created(session, ticket, data.description, settings)
    return ticket


def update_ticket(session: Session, tenant_id: uuid.UUID, ticket_id: uuid.UUID,
                  data: schemas.TicketUpdate, *, now: datetime | None = None) -> Ticket:
    """Change the fields sent; a new priority gets that priority's SLA targets."""
    now = now or utcnow()
    ticket = get_ticket(session, tenant_id, ticket_id, for_update=True)
    sent = set(data.model_fields_set)
    _reference(session, tenant_id, ticket.customer_id, data, sent)
    for field in ("subject", "category", "tags", "device_id", "subscription_id"):
        if field in sent and (getattr(data, field) is not None
                              or field in ("device_id", "subscription_id")):
            value = getattr(data, field)
            setattr(ticket, field, value.lower() if field == "category" else value)
    if "assignee_id" in sent or "team_id" in sent:
        assign(session, ticket, data.assignee_id if "assignee_id" in sent else ticket.assignee_id,
               data.team_id if "team_id" in sent else ticket.team_id, now)
    if data.priority is not None and data.priority.value != ticket.priority:
        change_priority(session, ticket, data.priority, now, retarget=True)
    session.flush()
    return ticket


def assign(session: Session, ticket: Ticket, assignee_id: uuid.UUID | None,
           team_id: uuid.UUID | None, now: datetime) -> None:
    if (assignee_id, team_id) == (ticket.assignee_id, ticket.team_id):
        return
    ticket.assignee_id, ticket.team_id = assignee_id, team_id
    who = identity_service.get_user(session, ticket.tenant_id, assignee_id).email \
        if assignee_id else "nobody"
    team = TeamRepository(session, ticket.tenant_id).get(team_id).name if team_id else "no team"
    timeline.record(session, ticket, EventKind.ASSIGNED, f"assigned to {who} ({team})", now,
                    {"assignee_id": str(assignee_id) if assignee_id else None,
                     "team_id": str(team_id) if team_id else None})


def change_priority(session: Session, ticket: Ticket, priority: Priority, now: datetime, *,
                    retarget: bool, why: str = "") -> None:
    old = ticket.priority
    ticket.priority = priority.value
    timeline.record(session, ticket, EventKind.PRIORITY,
                    f"priority {old} -> {priority.value}{f' ({why})' if why else ''}", now,
                    {"from": old, "to": priority.value})
    calendar = calendar_for(session, ticket)
    if retarget and calendar is not None and ticket.sla_policy_id is not None:
        policy = policies.get_policy(session, ticket.tenant_id, ticket.sla_policy_id)
        first, resolution = sla.targets_for(policy.targets, priority)
        timeline.record_sla(session, ticket, sla.retarget(ticket, calendar, now, first,
                                                          resolution), now)


def check_transition(current: TicketStatus, target: TicketStatus) -> None:
    if target == current:
        raise IllegalTransition(f"the ticket is already {current.value}")
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "nothing (final)"
        raise IllegalTransition(f"a {current.value} ticket cannot become {target.value} "
                                f"(it can become: {allowed})")


def change_status(session: Session, tenant_id: uuid.UUID, ticket_id: uuid.UUID,
                  target: TicketStatus, *, reason: str = "", now: datetime | None = None,
                  settings: Settings | None = None) -> Ticket:
    """Move the ticket; waiting pauses the SLA clock, an answer resumes it, resolving stops it."""
    ticket = get_ticket(session, tenant_id, ticket_id, for_update=True)
    apply_status(session, ticket, target, now or utcnow(), reason=reason)
    session.flush()
    if target == S.RESOLVED:
        notify.ticket_resolved(session, ticket, "", settings)
    return ticket


def apply_status(session: Session, ticket: Ticket, target: TicketStatus, now: datetime, *,
                 reason: str = "") -> None:
    current = TicketStatus(ticket.status)
    check_transition(current, target)
    if ticket.merged_into_id is not None:
        raise IllegalTransition("this ticket was merged into another; work on that one")
    calendar = calendar_for(session, ticket)
    changes: list = []
    if calendar is not None:
        if target in WAITING and current not in WAITING:
            changes = sla.pause(ticket, calendar, now)
            timeline.record(session, ticket, EventKind.SLA_PAUSED, "SLA clock paused", now)
        elif target in DONE and current not in DONE:
            changes = sla.complete(ticket, SlaTarget.FIRST_RESPONSE, calendar, now)
            changes += sla.complete(ticket, SlaTarget.RESOLUTION, calendar, now)
        elif target not in WAITING and target not in DONE and (current in WAITING
                                                              or current in DONE):
            changes = sla.resume(ticket, calendar, now)
            timeline.record(session, ticket, EventKind.SLA_RESUMED, "SLA clock resumed", now)
    ticket.status, ticket.status_changed_at = target.value, now
    if target == S.RESOLVED:
        ticket.resolved_at = now
    if target == S.CLOSED:
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
    if target == S.REOPENED:
        ticket.resolved_at = None
    timeline.record(session, ticket, EventKind.STATUS,
                    f"status {current.value} -> {target.value}" + (f": {reason}" if reason else ""),
                    now, {"from": current.value, "to": target.value, "reason": reason})
    timeline.record_sla(session, ticket, changes, now)


def ticket_out(session: Session, ticket: Ticket, now: datetime | None = None) -> schemas.TicketOut:
    """The ticket with its SLA clocks as of now (remaining business time, share used)."""
    now = now or utcnow()
    calendar = calendar_for(session, ticket)
    clocks = {}
    for target in sla.TARGETS:
        view = sla.view(ticket, target, calendar, now)
        clocks[target.value] = schemas.SlaClockOut(
            state=view.state.value, target_seconds=view.target_seconds, due_at=view.due_at,
            remaining_seconds=view.remaining_seconds, percent_used=view.percent_used)
    base = schemas.TicketSummary.model_validate(ticket).model_dump()
    return schemas.TicketOut(
        **base, subscription_id=ticket.subscription_id, device_id=ticket.device_id,
        merged_into_id=ticket.merged_into_id, status_changed_at=ticket.status_changed_at,
        first_responded_at=ticket.first_responded_at, resolved_at=ticket.resolved_at,
        closed_at=ticket.closed_at, updated_at=ticket.updated_at,
        sla_policy_id=ticket.sla_policy_id, at_risk_percent=ticket.at_risk_percent,
        first_response=clocks["first_response"], resolution=clocks["resolution"])
