"""Plan and subscription queries through the tenant-scoping chokepoint."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select

from dotmac_isp.modules.services.models import (
    Plan,
    PlanAddon,
    ScheduledChange,
    Subscription,
    SubscriptionAddon,
    SubscriptionPlanChange,
    SubscriptionStatusChange,
)
from dotmac_isp.shared.tenancy import TenantRepository


class PlanRepository(TenantRepository[Plan]):
    model = Plan
    not_found_message = "plan not found"

    def by_name(self, name: str) -> Plan | None:
        return self.session.scalars(self.select().where(Plan.name == name)).one_or_none()


class AddonRepository(TenantRepository[PlanAddon]):
    model = PlanAddon
    not_found_message = "add-on not found"


class SubscriptionRepository(TenantRepository[Subscription]):
    model = Subscription
    not_found_message = "subscription not found"

    def search(self, *, customer_id: uuid.UUID | None = None, status: str | None = None,
               plan_id: uuid.UUID | None = None, username: str | None = None) -> Select[Any]:
        stmt = self.select().order_by(Subscription.created_at.desc(), Subscription.id)
        if customer_id:
            stmt = stmt.where(Subscription.customer_id == customer_id)
        if status:
            stmt = stmt.where(Subscription.status == status)
        if plan_id:
            stmt = stmt.where(Subscription.plan_id == plan_id)
        if username:
            stmt = stmt.where(Subscription.radius_username.like(f"%{username.lower()}%"))
        return stmt

    def username_taken(self, username: str) -> bool:
        return self.session.scalar(
            self.select(Subscription.id).where(Subscription.radius_username == username)
        ) is not None


class StatusChangeRepository(TenantRepository[SubscriptionStatusChange]):
    model = SubscriptionStatusChange


class PlanChangeRepository(TenantRepository[SubscriptionPlanChange]):
    model = SubscriptionPlanChange


class ScheduledChangeRepository(TenantRepository[ScheduledChange]):
    model = ScheduledChange
    not_found_message = "scheduled change not found"


class SubscriptionAddonRepository(TenantRepository[SubscriptionAddon]):
    model = SubscriptionAddon
    not_found_message = "add-on is not on this subscription"
