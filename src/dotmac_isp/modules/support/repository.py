"""Support queries, all through the tenant-scoping chokepoint (one documented exception)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, Text, or_, select
from sqlalchemy.orm import Session

from dotmac_isp.modules.support.enums import SlaState
from dotmac_isp.modules.support.models import (
    Team,
    Ticket,
    TicketAttachment,
    TicketEvent,
    TicketMessage,
)
from dotmac_isp.modules.support.sla_models import (
    BusinessCalendar,
    Escalation,
    EscalationRule,
    SlaPolicy,
)
from dotmac_isp.modules.support.validation import without_control
from dotmac_isp.shared.tenancy import TenantRepository


class TicketRepository(TenantRepository[Ticket]):
    model = Ticket
    not_found_message = "ticket not found"

    def search(self, *, query: str | None = None, status: list[str] | None = None,
               priority: str | None = None, category: str | None = None,
               customer_id: uuid.UUID | None = None, assignee_id: uuid.UUID | None = None,
               unassigned: bool = False, team_id: uuid.UUID | None = None,
               tag: str | None = None, sla: str | None = None,
               incident_id: uuid.UUID | None = None) -> Select[Any]:
        stmt = self.select().order_by(Ticket.created_at.desc(), Ticket.number.desc())
        query, tag, category = (without_control(v) if v else v for v in (query, tag, category))
        if query:
            like = f"%{query.strip().lower()}%"
            stmt = stmt.where(or_(Ticket.number.ilike(like), Ticket.subject.ilike(like)))
        if status:
            stmt = stmt.where(Ticket.status.in_(status))
        if priority:
            stmt = stmt.where(Ticket.priority == priority)
        if category:
            stmt = stmt.where(Ticket.category == category)
        if customer_id:
            stmt = stmt.where(Ticket.customer_id == customer_id)
        if assignee_id:
            stmt = stmt.where(Ticket.assignee_id == assignee_id)
        if unassigned:
            stmt = stmt.where(Ticket.assignee_id.is_(None))
        if team_id:
            stmt = stmt.where(Ticket.team_id == team_id)
        if tag:
            stmt = stmt.where(Ticket.tags.cast(Text()).like(f'%"{tag.lower()}"%'))
        if sla:
            stmt = stmt.where(or_(Ticket.first_response_state == sla,
                                  Ticket.resolution_state == sla))
        if incident_id:
            stmt = stmt.where(Ticket.incident_id == incident_id)
        return stmt

    def by_number(self, number: str) -> Ticket | None:
        return self.session.scalars(self.select().where(Ticket.number == number)).one_or_none()

    def for_incident(self, incident_id: uuid.UUID) -> list[Ticket]:
        stmt = self.select().where(Ticket.incident_id == incident_id).order_by(Ticket.number)
        return list(self.session.scalars(stmt))


def ticket_by_reply_token(session: Session, token: str) -> Ticket | None:
    """Inbound mail arrives before any tenant is known: the token itself (random, unique)
    picks the ticket, and so its tenant."""
    return session.scalars(select(Ticket).where(Ticket.reply_token == token)).one_or_none()


class MessageRepository(TenantRepository[TicketMessage]):
    model = TicketMessage
    not_found_message = "message not found"

    def for_ticket(self, ticket_id: uuid.UUID, *, public_only: bool = False) -> Select[Any]:
        stmt = self.select().where(TicketMessage.ticket_id == ticket_id) \
            .order_by(TicketMessage.created_at, TicketMessage.id)
        if public_only:
            stmt = stmt.where(TicketMessage.kind == "reply")
        return stmt

    def by_email_id(self, ticket_id: uuid.UUID, message_id: str) -> TicketMessage | None:
        stmt = self.select().where(TicketMessage.ticket_id == ticket_id,
                                   TicketMessage.email_message_id == message_id)
        return self.session.scalars(stmt).first()


class EventRepository(TenantRepository[TicketEvent]):
    model = TicketEvent
    not_found_message = "event not found"

    def for_ticket(self, ticket_id: uuid.UUID) -> Select[Any]:
        return self.select().where(TicketEvent.ticket_id == ticket_id) \
            .order_by(TicketEvent.created_at, TicketEvent.id)


class AttachmentRepository(TenantRepository[TicketAttachment]):
    model = TicketAttachment
    not_found_message = "attachment not found"

    def for_ticket(self, ticket_id: uuid.UUID) -> Select[Any]:
        return self.select().where(TicketAttachment.ticket_id == ticket_id) \
            .order_by(TicketAttachment.created_at, TicketAttachment.id)


class TeamRepository(TenantRepository[Team]):
    model = Team
    not_found_message = "team not found"


class CalendarRepository(TenantRepository[BusinessCalendar]):
    model = BusinessCalendar
    not_found_message = "calendar not found"


class PolicyRepository(TenantRepository[SlaPolicy]):
    model = SlaPolicy
    not_found_message = "SLA policy not found"

    def ordered(self, *, active_only: bool = False) -> Select[Any]:
        stmt = self.select().order_by(SlaPolicy.position, SlaPolicy.name)
        if active_only:
            stmt = stmt.where(SlaPolicy.is_active.is_(True))
        return stmt


class RuleRepository(TenantRepository[EscalationRule]):
    model = EscalationRule
    not_found_message = "escalation rule not found"

    def ordered(self, *, active_only: bool = False) -> Select[Any]:
        stmt = self.select().order_by(EscalationRule.position, EscalationRule.name)
        if active_only:
            stmt = stmt.where(EscalationRule.is_active.is_(True))
        return stmt


class EscalationRepository(TenantRepository[Escalation]):
    model = Escalation
    not_found_message = "escalation not found"

    def exists(self, ticket_id: uuid.UUID, trigger: str, target: str) -> bool:
        stmt = self.select(Escalation.id).where(Escalation.ticket_id == ticket_id,
                                                Escalation.trigger == trigger,
                                                Escalation.target == target)
        return self.session.scalar(stmt) is not None


SLA_FILTERS = (SlaState.AT_RISK.value, SlaState.BREACHED.value, SlaState.PAUSED.value,
               SlaState.RUNNING.value, SlaState.MET.value)
