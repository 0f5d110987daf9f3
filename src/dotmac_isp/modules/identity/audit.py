"""The audit trail: every flush of an Audited row writes an audit_log row in the same transaction.

The actor comes from session.info["actor"], set once per request (or job); changes made with no
actor are recorded as the system's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session, UOWTransaction

from dotmac_isp.modules.identity.models import AuditLog
from dotmac_isp.shared import bulk
from dotmac_isp.shared.db import Audited
from dotmac_isp.shared.enums import ActorType
from dotmac_isp.shared.types import utcnow

_IGNORED_COLUMNS = frozenset({"created_at", "updated_at"})


@dataclass(frozen=True)
class AuditActor:
    actor_type: ActorType
    actor_id: uuid.UUID | None
    label: str
    request_id: str | None = None
    ip_address: str | None = None


SYSTEM_ACTOR = AuditActor(ActorType.SYSTEM, None, "system")


def set_actor(session: Session, actor: AuditActor) -> None:
    session.info["actor"] = actor


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, float):
        return value
    return str(value)


def _recorded_columns(obj: Audited) -> list[str]:
    excluded = obj.__audit_exclude__ | _IGNORED_COLUMNS
    return [a.key for a in inspect(obj).mapper.column_attrs if a.key not in excluded]


def _snapshot(obj: Audited) -> dict[str, Any]:
    return {key: _json_value(getattr(obj, key)) for key in _recorded_columns(obj)}


def _changes(obj: Audited) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(obj)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key in _recorded_columns(obj):
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if _json_value(old) == _json_value(new):
            continue
        before[key] = _json_value(old)
        after[key] = _json_value(new)
    return before, after


def _tenant_of(obj: Any) -> uuid.UUID | None:
    tenant_id = getattr(obj, "tenant_id", None)
    if tenant_id is None and obj.__class__.__tablename__ == "tenants":
        tenant_id = obj.id
    return tenant_id


def _entry(actor: AuditActor, action: str, obj: Any, before: dict[str, Any] | None,
           after: dict[str, Any] | None) -> dict[str, Any] | None:
    tenant_id = _tenant_of(obj)
    if tenant_id is None:
        return None
    label = getattr(obj, "name", None) or getattr(obj, "email", None) or ""
    return dict(
        id=uuid.uuid4(),
        created_at=utcnow(),
        tenant_id=tenant_id,
        actor_type=actor.actor_type.value,
        actor_id=actor.actor_id,
        actor_label=actor.label,
        action=action,
        entity_type=obj.__class__.__tablename__,
        entity_id=str(obj.id),
        before=before,
        after=after,
        request_id=actor.request_id,
        ip_address=actor.ip_address,
        summary=f"{action} {obj.__class__.__name__} {label}".strip(),
    )


def _after_flush(session: Session, _flush_context: UOWTransaction) -> None:
    # After the flush, ids and column defaults are filled in while the attribute history of
    # the flush is still readable; the rows go in with one INSERT after the audited rows.
    actor: AuditActor = session.info.get("actor", SYSTEM_ACTOR)
    entries: list[dict[str, Any] | None] = []
    for obj in list(session.new):
        if isinstance(obj, Audited):
            entries.append(_entry(actor, "create", obj, None, _snapshot(obj)))
    for obj in list(session.dirty):
        if isinstance(obj, Audited) and session.is_modified(obj, include_collections=False):
            before, after = _changes(obj)
            if after or before:
                entries.append(_entry(actor, "update", obj, before, after))
    for obj in list(session.deleted):
        if isinstance(obj, Audited):
            entries.append(_entry(actor, "delete", obj, _snapshot(obj), None))
    rows = [e for e in entries if e is not None]
    if rows:
        session.connection().execute(insert(AuditLog), rows)


def record_bulk(session: Session, action: str, entity_type: str,
                changes: list[tuple[uuid.UUID, uuid.UUID, dict[str, Any] | None,
                                    dict[str, Any] | None]], *, label: str = "") -> None:
    """Audit rows written in bulk (INSERT/UPDATE statements that skip the ORM flush): one
    entry per (tenant, entity id, before, after), all with one INSERT."""
    if not changes:
        return
    actor: AuditActor = session.info.get("actor", SYSTEM_ACTOR)
    now = utcnow()
    bulk.insert_rows(session, AuditLog, [dict(
        id=uuid.uuid4(), created_at=now, tenant_id=tenant_id,
        actor_type=actor.actor_type.value, actor_id=actor.actor_id, actor_label=actor.label,
        action=action, entity_type=entity_type, entity_id=str(entity_id),
        before=None if before is None else _json_value(
            {k: v for k, v in before.items() if k not in _IGNORED_COLUMNS}),
        after=None if after is None else _json_value(
            {k: v for k, v in after.items() if k not in _IGNORED_COLUMNS}),
        request_id=actor.request_id, ip_address=actor.ip_address,
        summary=f"{action} {label or entity_type}".strip())
        for tenant_id, entity_id, before, after in changes])


def install() -> None:
    """Start auditing every Session (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
