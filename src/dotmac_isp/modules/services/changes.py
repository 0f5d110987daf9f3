"""Scheduled and past-dated subscription changes: status moves and plan changes applied
now or queued for a date, the queue itself, and the history both leave behind."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from dotmac_isp.modules.identity.audit import AuditActor, set_actor
from dotmac_isp.modules.services import catalogue, events, lifecycle
from dotmac_isp.modules.services.enums import (
    ScheduledAction,
    ScheduledState,
    SubscriptionStatus,
)
from dotmac_isp.modules.services.models import (
    ScheduledChange,
    Subscription,
    SubscriptionPlanChange,
    SubscriptionStatusChange,
)
from dotmac_isp.modules.services.repository import (
    PlanChangeRepository,
    ScheduledChangeRepository,
    StatusChangeRepository,
    SubscriptionRepository,
)
from dotmac_isp.shared.enums import ActorType
from dotmac_isp.shared.errors import Conflict, InvalidState
from dotmac_isp.shared.events import publish
from dotmac_isp.shared.pagination import Page, PageParams

S = SubscriptionStatus
# A change dated this close to now is applied at once rather than scheduled.
IMMEDIATE_WINDOW = timedelta(seconds=5)


def is_future(when: datetime | None, now: datetime) -> bool:
    return when is not None and when > now + IMMEDIATE_WINDOW


def schedule(session: Session, sub: Subscription, *, action: ScheduledAction,
              effective_at: datetime, reason: str, notify: bool,
              target: SubscriptionStatus | None = None,
              new_plan_id: uuid.UUID | None = None) -> ScheduledChange:
    change = ScheduledChange(subscription_id=sub.id, action=action.value,
                             target_status=target.value if target else None,
                             new_plan_id=new_plan_id, effective_at=effective_at, reason=reason,
                             notify=notify, requested_by=lifecycle.actor_of(session).label)
    return ScheduledChangeRepository(session, sub.tenant_id).add(change)



def check_reachable(current: SubscriptionStatus, target: SubscriptionStatus) -> None:
    if target == S.ACTIVE and current in (S.PENDING, S.FAILED):
        return
    lifecycle.check_transition(current, target)


def apply_status(session: Session, sub: Subscription, target: SubscriptionStatus, reason: str,
                  notify: bool, effective_at: datetime | None) -> Subscription:
    if target == S.ACTIVE and sub.status in (S.PENDING, S.FAILED):
        return lifecycle.activate(session, sub.tenant_id, sub.id, reason=reason, notify=notify,
                                  effective_at=effective_at)
    return lifecycle.apply(session, sub, target, reason=reason, notify=notify,
                           effective_at=effective_at)



def check_plan_change(sub: Subscription, plan_id: uuid.UUID, archived: bool,
                       kind: str) -> None:
    if sub.status == S.TERMINATED:
        raise InvalidState("a terminated subscription cannot change plan")
    if plan_id == sub.plan_id:
        raise Conflict("the subscription is already on that plan")
    if archived:
        raise InvalidState("the new plan is archived and can no longer be sold")
    if kind != sub.plan.kind:
        raise InvalidState(f"cannot move a {sub.plan.kind} subscription to a {kind} plan")


def apply_plan_change(session: Session, sub: Subscription, plan_id: uuid.UUID, reason: str,
                      when: datetime) -> Subscription:
    old_plan = sub.plan
    new_plan = catalogue.get_plan(session, sub.tenant_id, plan_id)
    sub.plan_id, sub.plan = new_plan.id, new_plan
    session.add(SubscriptionPlanChange(
        tenant_id=sub.tenant_id, subscription_id=sub.id, old_plan_id=old_plan.id,
        new_plan_id=new_plan.id, reason=reason, actor_label=lifecycle.actor_of(session).label,
        effective_at=when))
    session.flush()
    publish(session, events.SubscriptionPlanChanged(
        **lifecycle.event_fields(sub), occurred_at=when,  # type: ignore[arg-type]
        old_plan_id=old_plan.id, old_ipv4_pool_id=old_plan.ipv4_pool_id,
        old_ipv6_pd_pool_id=old_plan.ipv6_pd_pool_id))
    return sub


def apply_scheduled(session: Session, change: ScheduledChange, now: datetime) -> None:
    """Apply one due change (the job calls this inside a savepoint per change)."""
    set_actor(session, AuditActor(ActorType.SYSTEM, None,
                                  f"schedule by {change.requested_by or 'system'}"))
    sub = SubscriptionRepository(session, change.tenant_id).get(change.subscription_id,
                                                                for_update=True)
    if change.action == ScheduledAction.CHANGE_PLAN and change.new_plan_id is not None:
        plan = catalogue.get_plan(session, sub.tenant_id, change.new_plan_id)
        check_plan_change(sub, plan.id, False, plan.kind)
        apply_plan_change(session, sub, plan.id, change.reason, change.effective_at)
    elif change.target_status is not None:
        apply_status(session, sub, SubscriptionStatus(change.target_status), change.reason,
                      change.notify, change.effective_at)
    change.state, change.applied_at = ScheduledState.APPLIED.value, now
    session.flush()


def scheduled_changes(session: Session, tenant_id: uuid.UUID, subscription_id: uuid.UUID,
                      params: PageParams) -> Page[ScheduledChange]:
    SubscriptionRepository(session, tenant_id).get(subscription_id)
    repo = ScheduledChangeRepository(session, tenant_id)
    stmt = repo.select().where(ScheduledChange.subscription_id == subscription_id) \
        .order_by(ScheduledChange.effective_at)
    return repo.list(params, stmt)


def cancel_scheduled(session: Session, tenant_id: uuid.UUID, subscription_id: uuid.UUID,
                     change_id: uuid.UUID) -> ScheduledChange:
    change = ScheduledChangeRepository(session, tenant_id).get(change_id, for_update=True)
    if change.subscription_id != subscription_id:
        raise ScheduledChangeRepository.not_found()
    if change.state != ScheduledState.PENDING:
        raise Conflict(f"the change is already {change.state}")
    change.state = ScheduledState.CANCELLED.value
    session.flush()
    return change


def history(session: Session, tenant_id: uuid.UUID, subscription_id: uuid.UUID,
            params: PageParams) -> Page[SubscriptionStatusChange]:
    SubscriptionRepository(session, tenant_id).get(subscription_id)
    repo = StatusChangeRepository(session, tenant_id)
    stmt = repo.select().where(SubscriptionStatusChange.subscription_id == subscription_id) \
        .order_by(SubscriptionStatusChange.effective_at, SubscriptionStatusChange.created_at)
    return repo.list(params, stmt)


def plan_changes(session: Session, tenant_id: uuid.UUID,
                 subscription_id: uuid.UUID) -> list[SubscriptionPlanChange]:
    repo = PlanChangeRepository(session, tenant_id)
    return list(session.scalars(repo.select().where(
        SubscriptionPlanChange.subscription_id == subscription_id)
        .order_by(SubscriptionPlanChange.effective_at)))
