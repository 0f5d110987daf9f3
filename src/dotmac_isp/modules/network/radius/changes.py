"""The policy-change log: a row per changed NAS, plan or subscription, written in the same
transaction as the change, so every RADIUS process (and FreeRADIUS through rlm_rest, which
reads live) converges without a restart.

A flush listener notices the rows of the three tables, whichever module changed them; other
sources of policy (IPAM assignments, data caps) call subscription_changed().
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.orm import Session, UOWTransaction

from dotmac_isp.modules.network.radius import signals
from dotmac_isp.modules.network.radius.enums import ChangeKind
from dotmac_isp.modules.network.radius.models import NasClient, PolicyChange
from dotmac_isp.modules.services.models import Plan, Subscription
from dotmac_isp.shared.db import after_commit
from dotmac_isp.shared.types import utcnow

_KINDS: dict[type, str] = {
    Subscription: ChangeKind.SUBSCRIPTION, Plan: ChangeKind.PLAN, NasClient: ChangeKind.NAS,
}


def _row(tenant_id: uuid.UUID | None, kind: str,
         object_id: uuid.UUID | None) -> dict[str, Any]:
    return {"tenant_id": tenant_id, "kind": str(kind), "object_id": object_id,
            "created_at": utcnow()}


def record(session: Session, tenant_id: uuid.UUID | None, kind: str,
           object_id: uuid.UUID | None) -> None:
    """Log a policy change in the session's transaction."""
    session.connection().execute(insert(PolicyChange), [_row(tenant_id, kind, object_id)])
    _signal_after_commit(session)


def watch(model: type, kind: str) -> None:
    """Log every change to another domain's rows under a kind its cache section follows."""
    _KINDS[model] = kind


def subscription_changed(session: Session, tenant_id: uuid.UUID,
                         subscription_id: uuid.UUID) -> None:
    """Tell the RADIUS servers a subscriber's policy (addresses, cap) changed."""
    record(session, tenant_id, ChangeKind.SUBSCRIPTION, subscription_id)


def _signal_after_commit(session: Session) -> None:
    if not session.info.get("radius_signal_queued"):
        session.info["radius_signal_queued"] = True
        after_commit(session, _signal)


def _signal() -> None:
    signals.bump()


def _after_flush(session: Session, _context: UOWTransaction) -> None:
    rows = []
    for obj in (*session.new, *session.dirty, *session.deleted):
        kind = _KINDS.get(type(obj))
        if kind is None:
            continue
        if obj in session.dirty and not session.is_modified(obj, include_collections=False):
            continue
        rows.append(_row(getattr(obj, "tenant_id", None), kind, obj.id))
    if rows:
        session.connection().execute(insert(PolicyChange), rows)
        _signal_after_commit(session)


def _transaction_ended(session: Session, *_args: Any) -> None:
    # the next transaction of this session queues its own signal
    session.info.pop("radius_signal_queued", None)


def install() -> None:
    """Start logging policy changes from every Session (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_commit", _transaction_ended)
        event.listen(Session, "after_soft_rollback", _transaction_ended)
