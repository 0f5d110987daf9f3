"""Rows written by shared.bulk (COPY on PostgreSQL) read back as the ORM's bulk INSERT writes
them: Python-side defaults filled, JSON and None kept apart, timestamps in UTC."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from dotmac_isp.modules.identity.models import AuditLog, Tenant
from dotmac_isp.shared import bulk

PARIS = timezone(timedelta(hours=1))


def _row(tenant: Tenant, entity: str, **extra: Any) -> dict[str, Any]:
    return {"tenant_id": tenant.id, "actor_type": "system", "action": "update",
            "entity_type": "invoices", "entity_id": entity, **extra}


def _stored(session: Session, entity: str) -> dict[str, Any]:
    entry = session.scalars(select(AuditLog).where(AuditLog.entity_id == entity)).one()
    return {"before": entry.before, "after": entry.after, "label": entry.actor_label,
            "summary": entry.summary, "created_at": entry.created_at,
            "has_id": isinstance(entry.id, uuid.UUID)}


def test_bulk_rows_read_back_as_orm_inserted_rows(session: Session, tenant: Tenant) -> None:
    moment = datetime(2026, 2, 1, 10, tzinfo=PARIS)
    given = {"before": None, "after": {"status": "overdue", "lines": [1, "x"]},
             "created_at": moment}
    session.execute(insert(AuditLog), [_row(tenant, "orm", **given)])
    bulk.insert_rows(session, AuditLog, [_row(tenant, "bulk", **given)])
    session.flush()
    session.expire_all()
    orm, copied = _stored(session, "orm"), _stored(session, "bulk")
    assert copied == orm
    assert copied["created_at"] == datetime(2026, 2, 1, 9, tzinfo=UTC)
    assert copied["before"] is None and copied["label"] == "" and copied["has_id"]


def test_bulk_rows_fill_defaults_per_row(session: Session, tenant: Tenant) -> None:
    bulk.insert_rows(session, AuditLog, [_row(tenant, "a"), _row(tenant, "b", summary="x")])
    session.flush()
    session.expire_all()
    a, b = _stored(session, "a"), _stored(session, "b")
    assert a["summary"] == "" and b["summary"] == "x"
    assert a["created_at"].tzinfo is not None and a["has_id"] and b["has_id"]
