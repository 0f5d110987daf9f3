"""Subscriptions: create, look up, change status now or later, change plan, RADIUS
credentials. Services flush; the caller's unit of work commits.

Scheduled changes and history live in changes.py, add-ons in subscription_addons.py and
the bulk reads other domains use in bulk_reads.py; their public names are re-exported here
so callers keep one import path."""

from __future__ import annotations

import secrets
import string
import uuid

from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.services import catalogue, changes, lifecycle, schemas
from dotmac_isp.modules.services.bulk_reads import BillableRow as BillableRow
from dotmac_isp.modules.services.bulk_reads import active_plan_names as active_plan_names
from dotmac_isp.modules.services.bulk_reads import (
    billable_subscriptions as billable_subscriptions,
)
from dotmac_isp.modules.services.bulk_reads import (
    customers_of_subscriptions as customers_of_subscriptions,
)
from dotmac_isp.modules.services.bulk_reads import (
    customers_with_username as customers_with_username,
)
from dotmac_isp.modules.services.bulk_reads import plan_changes_for as plan_changes_for
from dotmac_isp.modules.services.bulk_reads import status_changes_for as status_changes_for
from dotmac_isp.modules.services.bulk_reads import (
    statuses_by_customer as statuses_by_customer,
)
from dotmac_isp.modules.services.bulk_reads import (
    subscriptions_of_customer as subscriptions_of_customer,
)
from dotmac_isp.modules.services.changes import IMMEDIATE_WINDOW as IMMEDIATE_WINDOW
from dotmac_isp.modules.services.changes import apply_plan_change as apply_plan_change
from dotmac_isp.modules.services.changes import apply_scheduled as apply_scheduled
from dotmac_isp.modules.services.changes import cancel_scheduled as cancel_scheduled
from dotmac_isp.modules.services.changes import history as history
from dotmac_isp.modules.services.changes import plan_changes as plan_changes
from dotmac_isp.modules.services.changes import scheduled_changes as scheduled_changes
from dotmac_isp.modules.services.enums import ScheduledAction, SubscriptionStatus
from dotmac_isp.modules.services.labels import SubscriptionLabel as SubscriptionLabel
from dotmac_isp.modules.services.labels import subscription_labels as subscription_labels
from dotmac_isp.modules.services.models import (
    ScheduledChange,
    Subscription,
    SubscriptionStatusChange,
)
from dotmac_isp.modules.services.repository import SubscriptionRepository
from dotmac_isp.modules.services.subscription_addons import attach_addon as attach_addon
from dotmac_isp.modules.services.subscription_addons import detach_addon as detach_addon
from dotmac_isp.modules.services.subscription_addons import list_addons as list_addons
from dotmac_isp.shared import crypto
from dotmac_isp.shared.errors import Conflict, InvalidState, NotFound
from dotmac_isp.shared.pagination import Page, PageParams
from dotmac_isp.shared.types import utcnow

S = SubscriptionStatus
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
    # extra["field"] names the input a form shows the refusal beside
    if plan.is_archived:
        raise InvalidState(f"plan {plan.name!r} is archived and can no longer be sold",
                           extra={"field": "plan_id"})
    if plan.currency != customer.currency:
        raise InvalidState(f"plan {plan.name!r} is priced in {plan.currency} but the customer "
                           f"is billed in {customer.currency}", extra={"field": "plan_id"})
    if data.service_address_id is not None:
        try:
            customers_service.get_address(session, tenant_id, customer.id,
                                          data.service_address_id)
        except NotFound as exc:
            raise NotFound(exc.detail,
                           extra={"field": "service_address_id"}) from exc
    repo = SubscriptionRepository(session, tenant_id)
    username = (data.radius_username or "").lower() or _free_username(repo, customer.number)
    if repo.username_taken(username):
        raise Conflict(f"RADIUS username {username!r} is already in use",
                       extra={"field": "radius_username"})
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
    raise Conflict("no free RADIUS username; give one explicitly",
                   extra={"field": "radius_username"})


def get_subscription(session: Session, tenant_id: uuid.UUID,
                     subscription_id: uuid.UUID) -> Subscription:
    return SubscriptionRepository(session, tenant_id).get(subscription_id)


def subscription_by_username(session: Session, tenant_id: uuid.UUID,
                             username: str) -> Subscription | None:
    """The subscription with this RADIUS username (any case), if there is one."""
    repo = SubscriptionRepository(session, tenant_id)
    return session.scalars(repo.select().where(
        Subscription.radius_username == username.strip().lower())).one_or_none()


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


def request_status(session: Session, tenant_id: uuid.UUID, subscription_id: uuid.UUID,
                   update: schemas.ServiceStatusUpdate,
                   ) -> tuple[Subscription, ScheduledChange | None]:
    """Apply a status change now, or schedule it when effective_at is in the future.
    Asking for active from pending or failed goes through provisioning."""
    now = utcnow()
    sub = SubscriptionRepository(session, tenant_id).get(subscription_id, for_update=True)
    target = update.status
    if changes.is_future(update.effective_at, now):
        changes.check_reachable(SubscriptionStatus(sub.status), target)
        return sub, changes.schedule(session, sub, action=ScheduledAction.STATUS, target=target,
                              effective_at=update.effective_at or now, reason=update.reason,
                              notify=update.notify)
    if update.effective_at is not None:
        lifecycle.check_backdated(session, sub, update.effective_at, now)
    return changes.apply_status(session, sub, target, update.reason, update.notify,
                         update.effective_at), None


def change_plan(session: Session, tenant_id: uuid.UUID, subscription_id: uuid.UUID,
                request: schemas.PlanChangeRequest,
                ) -> tuple[Subscription, ScheduledChange | None]:
    """Upgrade or downgrade now, on a future date, or as of a recent past date (billed as
    of that date)."""
    now = utcnow()
    sub = SubscriptionRepository(session, tenant_id).get(subscription_id, for_update=True)
    new_plan = catalogue.get_plan(session, tenant_id, request.plan_id)
    changes.check_plan_change(sub, new_plan.id, new_plan.is_archived, new_plan.kind)
    if changes.is_future(request.effective_at, now):
        return sub, changes.schedule(session, sub, action=ScheduledAction.CHANGE_PLAN,
                              new_plan_id=new_plan.id, effective_at=request.effective_at or now,
                              reason=request.reason, notify=False)
    when = now
    if request.effective_at is not None:
        lifecycle.check_backdated(session, sub, request.effective_at, now)
        when = min(request.effective_at, now)
    return changes.apply_plan_change(session, sub, new_plan.id, request.reason, when), None

