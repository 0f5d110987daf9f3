"""The work order's history: one row per move, with who made it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from dotmac_isp.modules.field.enums import HistoryKind
from dotmac_isp.modules.field.models import WorkOrder, WorkOrderHistory
from dotmac_isp.modules.identity.audit import SYSTEM_ACTOR, AuditActor
from dotmac_isp.shared.types import utcnow


def actor_of(session: Session) -> AuditActor:
    actor: AuditActor = session.info.get("actor", SYSTEM_ACTOR)
    return actor


def actor_user_id(session: Session) -> uuid.UUID | None:
    actor = actor_of(session)
    return actor.actor_id if actor.actor_type.value == "user" else None


def record(session: Session, work_order: WorkOrder, kind: HistoryKind, from_status: str | None,
           to_status: str, note: str = "", now: datetime | None = None) -> WorkOrderHistory:
    actor = actor_of(session)
    row = WorkOrderHistory(
        tenant_id=work_order.tenant_id, work_order_id=work_order.id, kind=kind.value,
        from_status=from_status, to_status=to_status, note=note[:2000],
        actor_type=actor.actor_type.value, actor_id=actor.actor_id,
        actor_label=actor.label[:254], created_at=now or utcnow())
    session.add(row)
    return row
