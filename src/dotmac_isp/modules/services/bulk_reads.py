"""Bulk reads of subscriptions for other domains (billing runs, customer lists, search):
one query per kind, returning plain rows, never one query per subscription."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import or_
from sqlalchemy.orm import Session

from dotmac_isp.modules.services.models import (
    Plan,
    Subscription,
    SubscriptionPlanChange,
    SubscriptionStatusChange,
)
from dotmac_isp.modules.services.repository import (
    PlanChangeRepository,
    StatusChangeRepository,
    SubscriptionRepository,
)


class BillableRow(NamedTuple):
    id: uuid.UUID
    customer_id: uuid.UUID
    plan_id: uuid.UUID
    status: str
    radius_username: str
    activated_at: datetime
    terminated_at: datetime | None
    billing_start_date: date | None  # no period before it is billed (imported services)
    billed_until: date | None = None  # every period starting before it is billed


def billable_subscriptions(session: Session, tenant_id: uuid.UUID, statuses: list[str], *,
                           after_id: uuid.UUID | None = None, due_on: date | None = None,
                           limit: int = 1000) -> list[BillableRow]:
    """Activated subscriptions in the given statuses, in id order (a cursor), as plain rows:
    a billing run reads a hundred thousand of them. With due_on, only those the billing
    watermark says may be due that day (or that have no watermark)."""
    repo = SubscriptionRepository(session, tenant_id)
    stmt = (repo.select(Subscription.id, Subscription.customer_id, Subscription.plan_id,
                        Subscription.status, Subscription.radius_username,
                        Subscription.activated_at, Subscription.terminated_at,
                        Subscription.billing_start_date, Subscription.billed_until)
            .where(Subscription.status.in_(statuses), Subscription.activated_at.is_not(None))
            .order_by(Subscription.id).limit(limit))
    if due_on is not None:
        stmt = stmt.where(or_(Subscription.bill_next_on.is_(None),
                              Subscription.bill_next_on <= due_on))
    if after_id is not None:
        stmt = stmt.where(Subscription.id > after_id)
    return [BillableRow(*row) for row in session.execute(stmt)]


def status_changes_for(session: Session, tenant_id: uuid.UUID,
                       subscription_ids: list[uuid.UUID]) -> list[SubscriptionStatusChange]:
    repo = StatusChangeRepository(session, tenant_id)
    return list(session.scalars(repo.select().where(
        SubscriptionStatusChange.subscription_id.in_(subscription_ids))
        .order_by(SubscriptionStatusChange.effective_at, SubscriptionStatusChange.created_at)))


def plan_changes_for(session: Session, tenant_id: uuid.UUID,
                     subscription_ids: list[uuid.UUID]) -> list[SubscriptionPlanChange]:
    repo = PlanChangeRepository(session, tenant_id)
    return list(session.scalars(repo.select().where(
        SubscriptionPlanChange.subscription_id.in_(subscription_ids))
        .order_by(SubscriptionPlanChange.effective_at)))


def subscriptions_of_customer(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID,
                              statuses: list[str]) -> list[Subscription]:
    repo = SubscriptionRepository(session, tenant_id)
    return list(session.scalars(repo.select().where(Subscription.customer_id == customer_id,
                                                    Subscription.status.in_(statuses))))


def customers_with_username(session: Session, tenant_id: uuid.UUID, text: str, *,
                            limit: int = 50) -> list[uuid.UUID]:
    """Customers with a subscription whose RADIUS username contains the text, any case."""
    repo = SubscriptionRepository(session, tenant_id)
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    stmt = repo.select(Subscription.customer_id).where(
        Subscription.radius_username.ilike(pattern, escape="\\")).distinct().limit(limit)
    return list(session.scalars(stmt))


def customers_of_subscriptions(session: Session, tenant_id: uuid.UUID,
                               subscription_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    if not subscription_ids:
        return []
    repo = SubscriptionRepository(session, tenant_id)
    return list(session.scalars(repo.select(Subscription.customer_id).where(
        Subscription.id.in_(subscription_ids)).distinct()))


def active_plan_names(session: Session, tenant_id: uuid.UUID,
                      customer_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """The plans of many customers' active subscriptions (one query per thousand)."""
    repo = SubscriptionRepository(session, tenant_id)
    found: dict[uuid.UUID, list[str]] = {}
    for start in range(0, len(customer_ids), 1000):
        for customer_id, name in session.execute(
                repo.select(Subscription.customer_id, Plan.name)
                .join(Plan, Plan.id == Subscription.plan_id)
                .where(Subscription.customer_id.in_(customer_ids[start:start + 1000]),
                       Subscription.status == "active")
                .order_by(Subscription.created_at, Subscription.id)):
            found.setdefault(customer_id, []).append(name)
    return found


def statuses_by_customer(session: Session, tenant_id: uuid.UUID,
                         customer_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, set[str]]:
    """The statuses of each customer's subscriptions, in one query per 500 customers."""
    found: dict[uuid.UUID, set[str]] = {}
    ids = list(customer_ids)
    repo = SubscriptionRepository(session, tenant_id)
    for start in range(0, len(ids), 500):
        stmt = repo.select(Subscription.customer_id, Subscription.status).where(
            Subscription.customer_id.in_(ids[start:start + 500])).distinct()
        for customer_id, status in session.execute(stmt):
            found.setdefault(customer_id, set()).add(status)
    return found
