"""Checklists: a template per kind (tenant settings), copied onto each new work order;
required items must be ticked before the work order is done."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from dotmac_isp.modules.field import history
from dotmac_isp.modules.field.access import Scope
from dotmac_isp.modules.field.enums import FINAL, WorkOrderKind, WorkOrderStatus
from dotmac_isp.modules.field.models import ChecklistItem, ChecklistTemplate, WorkOrder
from dotmac_isp.modules.field.repository import (
    ChecklistRepository,
    TemplateRepository,
    WorkOrderRepository,
)
from dotmac_isp.modules.field.schemas import ChecklistLine, ChecklistTemplateIn
from dotmac_isp.shared.errors import InvalidState, NotFound
from dotmac_isp.shared.types import utcnow


def templates(session: Session, tenant_id: uuid.UUID) -> dict[str, list[ChecklistLine]]:
    """Every kind with its checklist (an empty one where none is set)."""
    repo = TemplateRepository(session, tenant_id)
    saved = {t.kind: t for t in repo.session.scalars(repo.select())}
    return {kind.value: [ChecklistLine.model_validate(i) for i in saved[kind.value].items]
            if kind.value in saved else [] for kind in WorkOrderKind}


def set_template(session: Session, tenant_id: uuid.UUID,
                 data: ChecklistTemplateIn) -> ChecklistTemplate:
    """Replace a kind's checklist; work orders made before keep the list they were given."""
    repo = TemplateRepository(session, tenant_id)
    items = [line.model_dump() for line in data.items]
    template = repo.by_kind(data.kind.value)
    if template is None:
        return repo.add(ChecklistTemplate(kind=data.kind.value, items=items))
    template.items = items
    session.flush()
    return template


def copy_template(session: Session, work_order: WorkOrder) -> list[ChecklistItem]:
    template = TemplateRepository(session, work_order.tenant_id).by_kind(work_order.kind)
    rows = [ChecklistItem(tenant_id=work_order.tenant_id, work_order_id=work_order.id,
                          position=n, label=str(item["label"])[:200],
                          required=bool(item.get("required", True)))
            for n, item in enumerate(template.items if template else [])]
    session.add_all(rows)
    return rows


def items_of(session: Session, scope: Scope, work_order_id: uuid.UUID) -> list[ChecklistItem]:
    work_order = WorkOrderRepository(session, scope).get(work_order_id)
    return ChecklistRepository(session, scope.tenant_id).for_order(work_order.id)


def missing_required(session: Session, work_order: WorkOrder) -> list[str]:
    items = ChecklistRepository(session, work_order.tenant_id).for_order(work_order.id)
    return [i.label for i in items if i.required and not i.done]


def tick(session: Session, scope: Scope, work_order_id: uuid.UUID, item_id: uuid.UUID,
         done: bool = True, *, now: datetime | None = None) -> ChecklistItem:
    """Tick (or untick) an item of an open work order."""
    work_order = WorkOrderRepository(session, scope).get(work_order_id, for_update=True)
    item = ChecklistRepository(session, scope.tenant_id).find(item_id)
    if item is None or item.work_order_id != work_order.id:
        raise NotFound("checklist item not found")
    if WorkOrderStatus(work_order.status) in FINAL:
        raise InvalidState(f"the work order is {work_order.status}; its checklist is closed")
    if item.done != done:
        item.done = done
        item.done_at = (now or utcnow()) if done else None
        item.done_by = history.actor_of(session).label[:254] if done else ""
        session.flush()
    return item
