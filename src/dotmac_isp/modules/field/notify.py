"""Emails to the customer about their appointment, through the notifications module."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.field.models import WorkOrder
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.notifications import service as notifications
from dotmac_isp.shared.errors import AppError

log = logging.getLogger(__name__)
RELATED = "work_order"
SCHEDULED = "field.appointment_scheduled"
REMINDER = "field.appointment_reminder"


def local(moment: datetime, timezone: str) -> datetime:
    return moment.astimezone(ZoneInfo(timezone))


def context_for(tenant_name: str, timezone: str, work_order: WorkOrder, customer_name: str,
                customer_number: str, customer_email: str, *, technician: str = "",
                rescheduled: bool = False) -> dict[str, Any]:
    """The context of an appointment email: the window in the tenant's own time."""
    assert work_order.window_start is not None and work_order.window_end is not None
    start = local(work_order.window_start, timezone)
    end = local(work_order.window_end, timezone)
    return {
        "tenant": {"name": tenant_name},
        "customer": {"name": customer_name, "number": customer_number,
                     "email": customer_email},
        "appointment": {"number": work_order.number,
                        "kind": work_order.kind.replace("_", " "),
                        "date": f"{start:%A} {start.day} {start:%B %Y}",
                        "from": f"{start:%H:%M}", "to": f"{end:%H:%M}",
                        "address": work_order.address, "technician": technician,
                        "rescheduled": rescheduled},
    }


def appointment(session: Session, work_order: WorkOrder, *,
                rescheduled: bool = False) -> dict[str, Any]:
    tenant = identity_service.get_tenant(session, work_order.tenant_id)
    customer = customers_service.get_customer(session, work_order.tenant_id,
                                              work_order.customer_id)
    technician = ""
    if work_order.technician_id is not None:
        user = identity_service.get_user(session, work_order.tenant_id,
                                         work_order.technician_id)
        technician = (user.full_name or "").split(" ")[0]
    return context_for(tenant.name, tenant.timezone, work_order, customer.display_name,
                       customer.number, customer.email, technician=technician,
                       rescheduled=rescheduled)


def customer_address(session: Session, work_order: WorkOrder) -> str | None:
    customer = customers_service.get_customer(session, work_order.tenant_id,
                                              work_order.customer_id)
    if customer.email:
        return customer.email
    emails = [c.email for c in customer.contacts if c.email]
    return emails[0] if emails else None


def _send(session: Session, work_order: WorkOrder, event_key: str,
          settings: Settings | None, *, rescheduled: bool = False) -> bool:
    to = customer_address(session, work_order)
    if to is None:
        return False
    try:
        notifications.send(session, work_order.tenant_id, event_key, to,
                           appointment(session, work_order, rescheduled=rescheduled),
                           mail=settings.mail if settings else None,
                           related_type=RELATED, related_id=work_order.id)
    except AppError as exc:  # a bad stored address must not stop the scheduling
        log.warning("appointment email not queued", extra={
            "work_order": work_order.number, "event": event_key, "reason": exc.detail})
        return False
    return True


def appointment_booked(session: Session, work_order: WorkOrder, settings: Settings | None, *,
                       rescheduled: bool) -> bool:
    return _send(session, work_order, SCHEDULED, settings, rescheduled=rescheduled)


def reminder(session: Session, work_order: WorkOrder, settings: Settings | None) -> bool:
    return _send(session, work_order, REMINDER, settings)
