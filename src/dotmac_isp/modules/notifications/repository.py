"""Notification queries, through the tenant-scoping chokepoint."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select

from dotmac_isp.modules.notifications.models import Delivery, NotificationTemplate
from dotmac_isp.shared.tenancy import TenantRepository


class TemplateRepository(TenantRepository[NotificationTemplate]):
    model = NotificationTemplate
    not_found_message = "notification template not found"

    def by_event(self, event_key: str) -> NotificationTemplate | None:
        stmt = self.select().where(NotificationTemplate.event_key == event_key)
        return self.session.scalars(stmt).one_or_none()

    def ordered(self) -> Select[Any]:
        return self.select().order_by(NotificationTemplate.event_key)


class DeliveryRepository(TenantRepository[Delivery]):
    model = Delivery
    not_found_message = "delivery not found"

    def search(self, *, status: str | None = None, event_key: str | None = None,
               to: str | None = None, related_type: str | None = None,
               related_id: uuid.UUID | None = None) -> Select[Any]:
        stmt = self.select().order_by(Delivery.created_at.desc(), Delivery.id)
        if status:
            stmt = stmt.where(Delivery.status == status)
        if event_key:
            stmt = stmt.where(Delivery.event_key == event_key)
        if to:
            stmt = stmt.where(Delivery.to_address == to.strip().lower())
        if related_type:
            stmt = stmt.where(Delivery.related_type == related_type)
        if related_id:
            stmt = stmt.where(Delivery.related_id == related_id)
        return stmt
