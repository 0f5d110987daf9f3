"""The staff subscription list: filters, whitelisted sorts, CSV rows, and suspending or
restoring many subscriptions at once through the same lifecycle as one."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from dotmac_isp.modules.services import schemas, service
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.modules.services.models import Plan, Subscription
from dotmac_isp.modules.services.repository import SubscriptionRepository
from dotmac_isp.shared.list_pages import Walk

Span = tuple[datetime, datetime]
SORTS: dict[str, Any] = {
    "username": Subscription.radius_username,
    "plan": Plan.name,
    "status": Subscription.status,
    "since": Subscription.status_changed_at,
    "created": Subscription.created_at,
}
TIE = Subscription.id
CSV_HEADER = ["radius_username", "plan", "status", "status_since", "created_at"]
# bulk action -> (the status a row must have now, the status it gets)
BULK: dict[str, tuple[SubscriptionStatus, SubscriptionStatus]] = {
    "suspend": (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED),
    "restore": (SubscriptionStatus.SUSPENDED, SubscriptionStatus.ACTIVE),
}


def subscription_query(session: Session, tenant_id: uuid.UUID, *, username: str | None,
                       status: str | None, plan_id: uuid.UUID | None = None,
                       activated: Span | None = None, ended: Span | None = None) -> Select[Any]:
    """The subscriptions the list shows (joined to the plan, which it can sort by); a span
    keeps those activated (or ended) from its start up to, not including, its end."""
    repo = SubscriptionRepository(session, tenant_id)
    stmt = repo.search(status=status, username=username, plan_id=plan_id)
    for column, span in ((Subscription.activated_at, activated),
                         (Subscription.terminated_at, ended)):
        if span is not None:
            stmt = stmt.where(column >= span[0], column < span[1])
    return stmt.join(Plan, Plan.id == Subscription.plan_id)


def plan_walk(session: Session, tenant_id: uuid.UUID) -> Walk:
    """The sort by plan as a walk over the tenant's plans in name order, each plan's
    subscriptions read by id from one index: no sort of the subscriptions joined to plans."""
    plans = session.execute(select(Plan.id, Plan.name).where(Plan.tenant_id == tenant_id)
                            .order_by(Plan.name, Plan.id)).all()
    return Walk(column=Subscription.plan_id, steps=[(p.id, p.name) for p in plans])


def csv_cells(sub: Subscription) -> list[object]:
    return [sub.radius_username, sub.plan.name, sub.status, sub.status_changed_at.isoformat(),
            sub.created_at.isoformat()]


def subscriptions_among(session: Session, tenant_id: uuid.UUID,
                        ids: Sequence[uuid.UUID]) -> list[Subscription]:
    """The tenant's subscriptions among the ids (another tenant's ids are simply not found)."""
    if not ids:
        return []
    repo = SubscriptionRepository(session, tenant_id)
    return list(session.scalars(repo.select().where(Subscription.id.in_(ids))
                                .order_by(Subscription.radius_username)))


def eligible(subs: Sequence[Subscription], action: str) -> list[Subscription]:
    """The subscriptions the action applies to now (suspend: active ones; restore: suspended)."""
    current, _target = BULK[action]
    return [s for s in subs if s.status == current]


def apply_bulk(session: Session, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID], action: str,
               reason: str) -> list[Subscription]:
    """Suspend or restore each eligible subscription among the ids, one lifecycle change each:
    history, audit and CoA to open sessions as for a single change."""
    _current, target = BULK[action]
    done = []
    for sub in eligible(subscriptions_among(session, tenant_id, ids), action):
        changed, _scheduled = service.request_status(
            session, tenant_id, sub.id, schemas.ServiceStatusUpdate(status=target, reason=reason))
        done.append(changed)
    return done
