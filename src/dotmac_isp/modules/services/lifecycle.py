"""The subscription state machine, persisted: every move is checked, stored as a history
row, and announced as a domain event in the same transaction."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.customers.enums import CustomerStatus
from dotmac_isp.modules.identity.audit import SYSTEM_ACTOR, AuditActor
from dotmac_isp.modules.services import events
from dotmac_isp.modules.services.enums import TRANSITIONS, SubscriptionStatus
from dotmac_isp.modules.services.models import (
    Subscription,
    SubscriptionPlanChange,
    SubscriptionStatusChange,
)
from dotmac_isp.modules.services.repository import SubscriptionRepository
from dotmac_isp.shared.errors import Conflict, ValidationFailed
from dotmac_isp.shared.events import publish
from dotmac_isp.shared.types import utcnow

S = SubscriptionStatus
# How far back a status or plan change may be dated (e.g. an activation recorded late).
BACKDATE_LIMIT = timedelta(days=31)


class IllegalTransition(Conflict):
    """The subscription cannot move to that status from where it is."""

    code = "illegal_transition"


def actor_of(session: Session) -> AuditActor:
    actor: AuditActor = session.info.get("actor", SYSTEM_ACTOR)
    return actor


def event_fields(sub: Subscription) -> dict[str, object]:
    return {
        "tenant_id": sub.tenant_id, "subscription_id": sub.id, "customer_id": sub.customer_id,
        "plan_id": sub.plan_id, "ipv4_pool_id": sub.plan.ipv4_pool_id,
        "ipv6_pd_pool_id": sub.plan.ipv6_pd_pool_id,
    }


def last_change_at(session: Session, sub: Subscription) -> datetime | None:
    """When the subscription's latest status or plan change took effect. Creation is not a
    change: an activation recorded late may be dated before the record was made."""
    moments = [
        session.scalar(select(func.max(SubscriptionStatusChange.effective_at)).where(
            SubscriptionStatusChange.subscription_id == sub.id,
            SubscriptionStatusChange.from_status.is_not(None))),
        session.scalar(select(func.max(SubscriptionPlanChange.effective_at)).where(
            SubscriptionPlanChange.subscription_id == sub.id)),
    ]
    known = [m for m in moments if m is not None]
    return max(known) if known else None


def check_backdated(session: Session, sub: Subscription, when: datetime,
                    now: datetime) -> None:
    """A change dated in the past takes effect on that date, so it may reach back at most
    BACKDATE_LIMIT and not before the subscription's last change (history stays in order)."""
    if when < now - BACKDATE_LIMIT:
        raise ValidationFailed(f"effective_at may be backdated by at most "
                               f"{BACKDATE_LIMIT.days} days")
    last = last_change_at(session, sub)
    if last is not None and when < last:
        raise ValidationFailed(f"effective_at {when:%Y-%m-%d %H:%M} UTC is before the "
                               f"subscription's last change ({last:%Y-%m-%d %H:%M} UTC); "
                               "a change cannot be dated before it")


def check_transition(current: SubscriptionStatus, target: SubscriptionStatus) -> None:
    if target == current:
        raise IllegalTransition(f"subscription is already {current.value}")
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "nothing"
        raise IllegalTransition(f"a {current.value} subscription cannot become {target.value} "
                                f"(from {current.value} it can become: {allowed})")


def transition(session: Session, tenant_id: uuid.UUID, subscription_id: uuid.UUID,
               target: SubscriptionStatus, *, reason: str = "", notify: bool = False,
               effective_at: datetime | None = None) -> Subscription:
    """Make one legal move now. The row is locked, so of two concurrent moves one waits and
    then sees the new status."""
    sub = SubscriptionRepository(session, tenant_id).get(subscription_id, for_update=True)
    return apply(session, sub, target, reason=reason, notify=notify, effective_at=effective_at)


def apply(session: Session, sub: Subscription, target: SubscriptionStatus, *, reason: str = "",
          notify: bool = False, effective_at: datetime | None = None) -> Subscription:
    current = SubscriptionStatus(sub.status)
    check_transition(current, target)
    when = effective_at or utcnow()
    actor = actor_of(session)
    sub.status = target.value
    sub.status_changed_at = when
    if target == S.ACTIVE and sub.activated_at is None:
        sub.activated_at = when
    if target == S.SUSPENDED:
        sub.suspended_at, sub.suspend_reason = when, reason
    if target == S.ACTIVE:
        sub.suspended_at, sub.suspend_reason = None, ""
    if target == S.TERMINATED:
        sub.terminated_at = when
    session.add(SubscriptionStatusChange(
        tenant_id=sub.tenant_id, subscription_id=sub.id, from_status=current.value,
        to_status=target.value, reason=reason, actor_type=actor.actor_type.value,
        actor_id=actor.actor_id, actor_label=actor.label, effective_at=when, notify=notify))
    session.flush()
    _announce(session, sub, current, target, reason, when)
    return sub


def _announce(session: Session, sub: Subscription, current: SubscriptionStatus,
              target: SubscriptionStatus, reason: str, when: datetime) -> None:
    fields = {**event_fields(sub), "occurred_at": when}
    if target == S.ACTIVE and current == S.SUSPENDED:
        publish(session, events.SubscriptionRestored(**fields))  # type: ignore[arg-type]
    elif target == S.ACTIVE:
        _customer_becomes_active(session, sub)
        publish(session, events.SubscriptionActivated(**fields))  # type: ignore[arg-type]
    elif target == S.SUSPENDED:
        publish(session, events.SubscriptionSuspended(**fields, reason=reason))  # type: ignore[arg-type]
    elif target == S.TERMINATED:
        publish(session, events.SubscriptionTerminated(**fields, reason=reason))  # type: ignore[arg-type]


def _customer_becomes_active(session: Session, sub: Subscription) -> None:
    customer = customers_service.get_customer(session, sub.tenant_id, sub.customer_id)
    if customer.status == CustomerStatus.LEAD:
        customers_service.change_status(session, sub.tenant_id, customer.id,
                                        CustomerStatus.ACTIVE, "first service activated")


def activate(session: Session, tenant_id: uuid.UUID, subscription_id: uuid.UUID, *,
             reason: str = "", notify: bool = False,
             effective_at: datetime | None = None) -> Subscription:
    """Bring a subscription into service: pending/failed go through provisioning (both moves
    are recorded), provisioning goes active, suspended is restored."""
    sub = SubscriptionRepository(session, tenant_id).get(subscription_id, for_update=True)
    if sub.status in (S.PENDING, S.FAILED):
        apply(session, sub, S.PROVISIONING, reason=reason, effective_at=effective_at)
    return apply(session, sub, S.ACTIVE, reason=reason, notify=notify, effective_at=effective_at)
