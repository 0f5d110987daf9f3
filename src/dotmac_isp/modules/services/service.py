"""Subscriptions: create, look up, change status now or later, change plan, add-ons,
RADIUS credentials. Services flush; the caller's unit of work commits."""

from __future__ import annotations

import secrets
import string
import uuid
from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import or_
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.identity.audit import AuditActor, set_actor
from dotmac_isp.modules.services import catalogue, events, lifecycle, schemas
from dotmac_isp.modules.services.enums import (
    ScheduledAction,
    ScheduledState,
    SubscriptionStatus,
)
from dotmac_isp.modules.services.labels import SubscriptionLabel as SubscriptionLabel
from dotmac_isp.modules.services.labels import subscription_labels as subscription_labels
from dotmac_isp.modules.services.models import (
    Plan,
    ScheduledChange,
    Subscription,
    SubscriptionAddon,
    SubscriptionPlanChange,
    SubscriptionStatusChange,
)
from dotmac_isp.modules.services.repository import (
    PlanChangeRepository,
    ScheduledChangeRepository,
    StatusChangeRepository,
    SubscriptionAddonRepository,
    SubscriptionRepository,
)
from dotmac_isp.shared import crypto
from dotmac_isp.shared.enums import ActorType
from dotmac_isp.shared.errors import Conflict, InvalidState
from dotmac_isp.shared.events import publish
from dotmac_isp.shared.pagination import Page, PageParams
from dotmac_isp.shared.types import utcnow

S = SubscriptionStatus
# A change dated this close to now is applied at once rather than scheduled.
IMMEDIATE_WINDOW = timedelta(seconds=5)
_PASSWORD_ALPHABET = string.ascii_letters + string.digits


def generate_password(length: int = 12) -> str:
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))


def _secret(settings: Settings) -> str:
    return settings.secret_key.get_secret_value()


def create_subscription(session: Session, settings: Settings, tenant_id: uuid.UUID,
                        data: schemas.SubscriptionCreate) -> Subscription:
    """A new subscription starts pending, with generated RADIUS credentials unless given."""
    customer = customers_service.get_customer(session, tenant_id, data.customer_id)
    if customer.status == "closed":
        raise InvalidState("the customer is closed; reopen the account first")
    plan = catalogue.get_plan(session, tenant_id, data.plan_id)
    if plan.is_archived:
        raise InvalidState(f"plan {plan.name!r} is archived and can no longer be sold")
    if plan.currency != customer.currency:
        raise InvalidState(f"plan {plan.name!r} is priced in {plan.currency} but the customer "
                           f"is billed in {customer.currency}")
    if data.service_address_id is not None:
        customers_service.get_address(session, tenant_id, customer.id, data.service_address_id)
    repo = SubscriptionRepository(session, tenant_id)
    username = (data.radius_username or "").lower() or _free_username(repo, customer.number)
    if repo.username_taken(username):
        raise Conflict(f"RADIUS username {username!r} is already in use")
    sub = Subscription(
        customer_id=customer.id, plan_id=plan.id, plan=plan,
        service_address_id=data.service_address_id, status=S.PENDING.value,
        radius_username=username,
        radius_password_encrypted=crypto.encrypt(_secret(settings),
                                                 data.radius_password or generate_password()),
        contract_end_date=data.contract_end_date, notes=data.notes)
    repo.add(sub)
    actor = lifecycle.actor_of(session)
    session.add(SubscriptionStatusChange(
        tenant_id=tenant_id, subscription_id=sub.id, from_status=None, to_status=S.PENDING.value,
        reason="created", actor_type=actor.actor_type.value, actor_id=actor.actor_id,
        actor_label=actor.label, effective_at=sub.created_at))
    session.flush()
    return sub


def _free_username(repo: SubscriptionRepository, customer_number: str) -> str:
    base = customer_number.lower()
    for n in range(1, 1000):
        candidate = f"{base}-{n}"
        if not repo.username_taken(candidate):
            return candidate
    raise Conflict("no free RADIUS username; give one explicitly")


def get_subscription(session: Session, tenant_id: uuid.UUID,
                     subscription_id: uuid.UUID) -> Subscription:
    return SubscriptionRepository(session, tenant_id).get(subscription_id)


def list_subscriptions(session: Session, tenant_id: uuid.UUID, params: PageParams, *,
                       customer_id: uuid.UUID | None = None, status: str | None = None,
                       plan_id: uuid.UUID | None = None,
                       username: str | None = None) -> Page[Subscription]:
    repo = SubscriptionRepository(session, tenant_id)
    return repo.list(params, repo.search(customer_id=customer_id, status=status,
                                         plan_id=plan_id, username=username))


def update_subscription(session: Session, tenant_id: uuid.UUID, subscription_id: uuid.UUID,
                        data: schemas.SubscriptionUpdate) -> Subscription:
    sub = get_subscription(session, tenant_id, subscription_id)
    changes = data.model_dump(exclude_unset=True)
    if "service_address_id" in changes and changes["service_address_id"] is not None:
        customers_service.get_address(session, tenant_id, sub.customer_id,
                                      changes["service_address_id"])
    for key, value in changes.items():
        if key == "notes" and value is None:
            continue
        setattr(sub, key, value)
    session.flush()
    return sub


def credentials(session: Session, settings: Settings, tenant_id: uuid.UUID,
                subscription_id: uuid.UUID) -> schemas.Credentials:
    sub = get_subscription(session, tenant_id, subscription_id)
    return schemas.Credentials(radius_username=sub.radius_username,
                               radius_password=crypto.decrypt(_secret(settings),
                                                              sub.radius_password_encrypted))


def reset_credentials(session: Session, settings: Settings, tenant_id: uuid.UUID,
                      subscription_id: uuid.UUID) -> schemas.Credentials:
    sub = get_subscription(session, tenant_id, subscription_id)
    password = generate_password()
    sub.radius_password_encrypted = crypto.encrypt(_secret(settings), password)
    session.flush()
    return schemas.Credentials(radius_username=sub.radius_username, radius_password=password)


def _is_future(when: datetime | None, now: datetime) -> bool:
    return when is not None and when > now + IMMEDIATE_WINDOW


def _schedule(session: Session, sub: Subscription, *, action: ScheduledAction,
              effective_at: datetime, reason: str, notify: bool,
              target: SubscriptionStatus | None = None,
              new_plan_id: uuid.UUID | None = None) -> ScheduledChange:
    change = ScheduledChange(subscription_id=sub.id, action=action.value,
                             target_status=target.value if target else None,
                             new_plan_id=new_plan_id, effective_at=effective_at, reason=reason,
                             notify=notify, requested_by=lifecycle.actor_of(session).label)
    return ScheduledChangeRepository(session, sub.tenant_id).add(change)


def request_status(session: Session, tenant_id: uuid.UUID, subscription_id: uuid.UUID,
                   update: schemas.ServiceStatusUpdate,
                   ) -> tuple[Subscription, ScheduledChange | None]:
    """Apply a status change now, or schedule it when effective_at is in the future.
    Asking for active from pending or failed goes through provisioning."""
    now = utcnow()
    sub = SubscriptionRepository(session, tenant_id).get(subscription_id, for_update=True)
    target = update.status
    if _is_future(update.effective_at, now):
        _check_reachable(SubscriptionStatus(sub.status), target)
        return sub, _schedule(session, sub, action=ScheduledAction.STATUS, target=target,
                              effective_at=update.effective_at or now, reason=update.reason,
                              notify=update.notify)
    if update.effective_at is not None:
        lifecycle.check_backdated(session, sub, update.effective_at, now)
    return _apply_status(session, sub, target, update.reason, update.notify,
                         update.effective_at), None


def _check_reachable(current: SubscriptionStatus, target: SubscriptionStatus) -> None:
    if target == S.ACTIVE and current in (S.PENDING, S.FAILED):
        return
    lifecycle.check_transition(current, target)


def _apply_status(session: Session, sub: Subscription, target: SubscriptionStatus, reason: str,
                  notify: bool, effective_at: datetime | None) -> Subscription:
    if target == S.ACTIVE and sub.status in (S.PENDING, S.FAILED):
        return lifecycle.activate(session, sub.tenant_id, sub.id, reason=reason, notify=notify,
                                  effective_at=effective_at)
    return lifecycle.apply(session, sub, target, reason=reason, notify=notify,
                           effective_at=effective_at)


def change_plan(session: Session, tenant_id: uuid.UUID, subscription_id: uuid.UUID,
                request: schemas.PlanChangeRequest,
                ) -> tuple[Subscription, ScheduledChange | None]:
    """Upgrade or downgrade now, on a future date, or as of a recent past date (billed as
    of that date)."""
    now = utcnow()
    sub = SubscriptionRepository(session, tenant_id).get(subscription_id, for_update=True)
    new_plan = catalogue.get_plan(session, tenant_id, request.plan_id)
    _check_plan_change(sub, new_plan.id, new_plan.is_archived, new_plan.kind)
    if _is_future(request.effective_at, now):
        return sub, _schedule(session, sub, action=ScheduledAction.CHANGE_PLAN,
                              new_plan_id=new_plan.id, effective_at=request.effective_at or now,
                              reason=request.reason, notify=False)
    when = now
    if request.effective_at is not None:
        lifecycle.check_backdated(session, sub, request.effective_at, now)
        when = min(request.effective_at, now)
    return apply_plan_change(session, sub, new_plan.id, request.reason, when), None


def _check_plan_change(sub: Subscription, plan_id: uuid.UUID, archived: bool,
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
        _check_plan_change(sub, plan.id, False, plan.kind)
        apply_plan_change(session, sub, plan.id, change.reason, change.effective_at)
    elif change.target_status is not None:
        _apply_status(session, sub, SubscriptionStatus(change.target_status), change.reason,
                      change.notify, change.effective_at)
    change.state, change.applied_at = ScheduledState.APPLIED.value, now
    session.flush()


def scheduled_changes(session: Session, tenant_id: uuid.UUID, subscription_id: uuid.UUID,
                      params: PageParams) -> Page[ScheduledChange]:
    get_subscription(session, tenant_id, subscription_id)
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
    get_subscription(session, tenant_id, subscription_id)
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


def attach_addon(session: Session, tenant_id: uuid.UUID, subscription_id: uuid.UUID,
                 data: schemas.AddonAttach) -> SubscriptionAddon:
    sub = get_subscription(session, tenant_id, subscription_id)
    addon = catalogue.get_addon(session, tenant_id, data.addon_id)
    if addon.is_archived:
        raise InvalidState("the add-on is archived")
    if addon.plan_kinds and sub.plan.kind not in addon.plan_kinds:
        raise InvalidState(f"the add-on is not sold with {sub.plan.kind} plans")
    if sub.status == S.TERMINATED:
        raise InvalidState("the subscription is terminated")
    return SubscriptionAddonRepository(session, tenant_id).add(SubscriptionAddon(
        subscription_id=sub.id, addon_id=addon.id, quantity=data.quantity,
        unit_price=addon.price))


def list_addons(session: Session, tenant_id: uuid.UUID,
                subscription_id: uuid.UUID) -> list[SubscriptionAddon]:
    get_subscription(session, tenant_id, subscription_id)
    repo = SubscriptionAddonRepository(session, tenant_id)
    return list(session.scalars(repo.select().where(
        SubscriptionAddon.subscription_id == subscription_id)
        .order_by(SubscriptionAddon.created_at)))


def detach_addon(session: Session, tenant_id: uuid.UUID, subscription_id: uuid.UUID,
                 item_id: uuid.UUID) -> SubscriptionAddon:
    item = SubscriptionAddonRepository(session, tenant_id).get(item_id)
    if item.subscription_id != subscription_id:
        raise SubscriptionAddonRepository.not_found()
    if item.removed_at is None:
        item.removed_at = utcnow()
        session.flush()
    return item


# Bulk reads for billing runs: one query per kind, not one per subscription ------------

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
