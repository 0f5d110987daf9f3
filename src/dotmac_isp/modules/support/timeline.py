"""Timeline lines and who did what: shared by every ticket operation."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.identity.audit import SYSTEM_ACTOR, AuditActor
from dotmac_isp.modules.support.enums import EventKind, SlaState, SlaTarget
from dotmac_isp.modules.support.models import Ticket, TicketEvent
from dotmac_isp.shared.enums import ActorType
from dotmac_isp.shared.errors import NotFound

TARGET_WORDS = {SlaTarget.FIRST_RESPONSE: "first response", SlaTarget.RESOLUTION: "resolution"}


def actor_of(session: Session) -> AuditActor:
    actor: AuditActor = session.info.get("actor", SYSTEM_ACTOR)
    return actor


def staff_author(session: Session, tenant_id: uuid.UUID) -> tuple[uuid.UUID | None, str]:
    """(user id, display name) of the staff member acting, or (None, label) for API keys and
    jobs."""
    actor = actor_of(session)
    if actor.actor_type == ActorType.USER and actor.actor_id is not None:
        try:
            user = identity_service.get_user(session, tenant_id, actor.actor_id)
        except NotFound:
            return None, actor.label
        return user.id, user.full_name or user.email
    return None, actor.label


def record(session: Session, ticket: Ticket, kind: EventKind, summary: str, now: datetime,
           data: dict[str, Any] | None = None) -> TicketEvent:
    event = TicketEvent(tenant_id=ticket.tenant_id, ticket_id=ticket.id, kind=kind.value,
                        summary=summary[:500], data=data or {},
                        actor_label=actor_of(session).label[:254], created_at=now)
    session.add(event)
    return event


def record_sla(session: Session, ticket: Ticket, changes: list[tuple[SlaTarget, SlaState]],
               now: datetime) -> None:
    for target, state in changes:
        word = TARGET_WORDS[target]
        if state == SlaState.BREACHED:
            record(session, ticket, EventKind.SLA_BREACHED, f"{word} target breached", now,
                   {"target": target.value})
        elif state == SlaState.AT_RISK:
            record(session, ticket, EventKind.SLA_AT_RISK,
                   f"{word} target at risk ({ticket.at_risk_percent}% used)", now,
                   {"target": target.value})
