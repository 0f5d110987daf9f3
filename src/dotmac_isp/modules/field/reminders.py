"""The day-before reminder: each appointment's reminder is claimed by one conditional
UPDATE (the window start it is for is written on the work order), so a second run, or a
second worker, sends nothing again; a moved appointment earns a new reminder."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.field import notify
from dotmac_isp.modules.field.access import whole_tenant
from dotmac_isp.modules.field.enums import WorkOrderStatus
from dotmac_isp.modules.field.models import WorkOrder
from dotmac_isp.modules.field.repository import WorkOrderRepository
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.notifications import service as notifications


def day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    """The first instant of the day and of the next, in the tenant's zone."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, time(0), zone)
    return start, datetime.combine(day + timedelta(days=1), time(0), zone)


def claim_due(session: Session, tenant_id: uuid.UUID, day: date,
              timezone: str) -> list[uuid.UUID]:
    """Mark the reminders of appointments on `day` as sent; the ids this call claimed."""
    start, end = day_bounds(day, timezone)
    stmt = (update(WorkOrder).where(
        WorkOrder.tenant_id == tenant_id, WorkOrder.status == WorkOrderStatus.SCHEDULED.value,
        WorkOrder.window_start >= start, WorkOrder.window_start < end,
        or_(WorkOrder.reminded_for_start.is_(None),
            WorkOrder.reminded_for_start != WorkOrder.window_start))
        .values(reminded_for_start=WorkOrder.window_start)
        .returning(WorkOrder.id).execution_options(synchronize_session=False))
    return list(session.scalars(stmt))


def send_for_tenant(session: Session, tenant_id: uuid.UUID, today: date) -> int:
    """Queue tomorrow's reminders of one tenant (one query for the customers, one INSERT)."""
    tenant = identity_service.get_tenant(session, tenant_id)
    claimed = claim_due(session, tenant_id, today + timedelta(days=1), tenant.timezone)
    if not claimed:
        return 0
    repo = WorkOrderRepository(session, whole_tenant(tenant_id))
    orders = list(session.scalars(repo.select().where(WorkOrder.id.in_(claimed))
                                  .execution_options(populate_existing=True)))
    facts = customers_service.mail_facts(session, tenant_id,
                                         list({o.customer_id for o in orders}))
    messages = []
    for order in orders:
        fact = facts.get(order.customer_id)
        if fact is None:
            continue
        context = notify.context_for(tenant.name, tenant.timezone, order, fact.name,
                                     fact.number, fact.email)
        messages.append(notifications.Outgoing(to=fact.email, context=context,
                                               related_type=notify.RELATED,
                                               related_id=order.id))
    return notifications.queue_many(session, tenant_id, notify.REMINDER, messages)
