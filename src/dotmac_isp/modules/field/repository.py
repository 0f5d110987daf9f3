"""Work order queries, all through the tenant-scoping chokepoint; a technician's scope adds
the assignment filter in the same place."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select

from dotmac_isp.modules.field.access import Scope
from dotmac_isp.modules.field.enums import BOOKED
from dotmac_isp.modules.field.models import (
    ChecklistItem,
    ChecklistTemplate,
    WorkOrder,
    WorkOrderAttachment,
    WorkOrderHistory,
    WorkOrderNote,
)
from dotmac_isp.shared.tenancy import TenantRepository


class WorkOrderRepository(TenantRepository[WorkOrder]):
    model = WorkOrder
    not_found_message = "work order not found"

    def __init__(self, session: Any, scope: Scope):
        super().__init__(session, scope.tenant_id)
        self.scope = scope

    def select(self, *entities: Any) -> Select[Any]:
        stmt = super().select(*entities)
        if self.scope.technician_id is not None:
            stmt = stmt.where(WorkOrder.technician_id == self.scope.technician_id)
        return stmt

    def search(self, *, status: list[str] | None = None, kind: str | None = None,
               technician_id: uuid.UUID | None = None, customer_id: uuid.UUID | None = None,
               ticket_id: uuid.UUID | None = None, starts_from: datetime | None = None,
               starts_before: datetime | None = None) -> Select[Any]:
        stmt = self.select()
        if status:
            stmt = stmt.where(WorkOrder.status.in_(status))
        if kind:
            stmt = stmt.where(WorkOrder.kind == kind)
        if technician_id:
            stmt = stmt.where(WorkOrder.technician_id == technician_id)
        if customer_id:
            stmt = stmt.where(WorkOrder.customer_id == customer_id)
        if ticket_id:
            stmt = stmt.where(WorkOrder.ticket_id == ticket_id)
        if starts_from is not None:
            stmt = stmt.where(WorkOrder.window_start >= starts_from)
        if starts_before is not None:
            stmt = stmt.where(WorkOrder.window_start < starts_before)
        return stmt

    def overlapping(self, technician_id: uuid.UUID, start: datetime, end: datetime,
                    exclude: uuid.UUID | None) -> list[WorkOrder]:
        """The technician's booked work orders whose window overlaps [start, end)."""
        stmt = super().select().where(
            WorkOrder.technician_id == technician_id,
            WorkOrder.status.in_([s.value for s in BOOKED]),
            WorkOrder.window_start < end, WorkOrder.window_end > start)
        if exclude is not None:
            stmt = stmt.where(WorkOrder.id != exclude)
        return list(self.session.scalars(stmt.order_by(WorkOrder.window_start)))


class HistoryRepository(TenantRepository[WorkOrderHistory]):
    model = WorkOrderHistory
    not_found_message = "history not found"

    def for_order(self, work_order_id: uuid.UUID) -> Select[Any]:
        return self.select().where(WorkOrderHistory.work_order_id == work_order_id) \
            .order_by(WorkOrderHistory.created_at, WorkOrderHistory.id)


class TemplateRepository(TenantRepository[ChecklistTemplate]):
    model = ChecklistTemplate
    not_found_message = "checklist template not found"

    def by_kind(self, kind: str) -> ChecklistTemplate | None:
        return self.session.scalars(self.select().where(ChecklistTemplate.kind == kind)) \
            .one_or_none()


class ChecklistRepository(TenantRepository[ChecklistItem]):
    model = ChecklistItem
    not_found_message = "checklist item not found"

    def for_order(self, work_order_id: uuid.UUID) -> list[ChecklistItem]:
        stmt = self.select().where(ChecklistItem.work_order_id == work_order_id) \
            .order_by(ChecklistItem.position)
        return list(self.session.scalars(stmt))


class NoteRepository(TenantRepository[WorkOrderNote]):
    model = WorkOrderNote
    not_found_message = "note not found"

    def for_order(self, work_order_id: uuid.UUID) -> Select[Any]:
        return self.select().where(WorkOrderNote.work_order_id == work_order_id) \
            .order_by(WorkOrderNote.created_at, WorkOrderNote.id)


class AttachmentRepository(TenantRepository[WorkOrderAttachment]):
    model = WorkOrderAttachment
    not_found_message = "attachment not found"

    def for_order(self, work_order_id: uuid.UUID) -> Select[Any]:
        return self.select().where(WorkOrderAttachment.work_order_id == work_order_id) \
            .order_by(WorkOrderAttachment.created_at, WorkOrderAttachment.id)

