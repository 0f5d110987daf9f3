"""Add-ons attached to a subscription: attach, list, detach (kept for billing history)."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from dotmac_isp.modules.services import catalogue, schemas
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.modules.services.models import SubscriptionAddon
from dotmac_isp.modules.services.repository import (
    SubscriptionAddonRepository,
    SubscriptionRepository,
)
from dotmac_isp.shared.errors import InvalidState
from dotmac_isp.shared.types import utcnow

S = SubscriptionStatus


def attach_addon(session: Session, tenant_id: uuid.UUID, subscription_id: uuid.UUID,
                 data: schemas.AddonAttach) -> SubscriptionAddon:
    sub = SubscriptionRepository(session, tenant_id).get(subscription_id)
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
    SubscriptionRepository(session, tenant_id).get(subscription_id)
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
