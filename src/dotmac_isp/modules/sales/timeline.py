"""A lead's timeline: one row per note, move, quote sent or answered, with who did it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from dotmac_isp.modules.identity.audit import SYSTEM_ACTOR, AuditActor
from dotmac_isp.modules.sales.enums import ActivityKind
from dotmac_isp.modules.sales.models import Lead, LeadActivity
from dotmac_isp.shared.types import utcnow


def actor_of(session: Session) -> AuditActor:
    actor: AuditActor = session.info.get("actor", SYSTEM_ACTOR)
    return actor


def record(session: Session, lead: Lead, kind: ActivityKind, body: str = "", *,
           from_stage: str | None = None, to_stage: str | None = None,
           actor_label: str | None = None, now: datetime | None = None) -> LeadActivity:
    """Add an entry; `actor_label` names someone who is not signed in (the prospect)."""
    actor = actor_of(session)
    row = LeadActivity(
        tenant_id=lead.tenant_id, lead_id=lead.id, kind=kind.value, body=body[:10_000],
        from_stage=from_stage, to_stage=to_stage,
        actor_type="prospect" if actor_label is not None else actor.actor_type.value,
        actor_id=None if actor_label is not None else actor.actor_id,
        actor_label=(actor_label if actor_label is not None else actor.label)[:254],
        created_at=now or utcnow())
    session.add(row)
    return row
