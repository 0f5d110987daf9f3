"""Support factories: calendars, policies and tickets opened at a fixed instant."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.alerts import service as alerts_service
from dotmac_isp.modules.support import policies, schemas, service
from dotmac_isp.modules.support.models import Ticket
from dotmac_isp.modules.support.sla_models import BusinessCalendar, SlaPolicy
from dotmac_isp.modules.support.sla_schemas import CalendarIn, PolicyIn
from dotmac_isp.shared.types import utcnow
from tests.modules.network.devices.factories import make_device
from tests.support.customers import make_customer

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def make_calendar(session: Session, tenant: Tenant, *, name: str | None = None,
                  timezone: str = "UTC", start: str = "09:00", end: str = "17:00",
                  holidays: list[str] | None = None,
                  days: tuple[str, ...] = WEEKDAYS) -> BusinessCalendar:
    return policies.create_calendar(session, tenant.id, CalendarIn.model_validate({
        "name": name or f"cal-{uuid.uuid4().hex[:6]}", "timezone": timezone,
        "hours": {d: [{"start": start, "end": end}] for d in days},
        "holidays": [{"date": h, "name": "holiday"} for h in holidays or []]}))


def make_policy(session: Session, tenant: Tenant, calendar: BusinessCalendar,
                **overrides: Any) -> SlaPolicy:
    data: dict[str, Any] = {"name": f"policy-{uuid.uuid4().hex[:6]}",
                            "calendar_id": calendar.id, "position": 10}
    data.update(overrides)
    return policies.create_policy(session, tenant.id, PolicyIn.model_validate(data))


def open_ticket(session: Session, tenant: Tenant, now: datetime, *,
                customer: Customer | None = None, **overrides: Any) -> Ticket:
    customer = customer or make_customer(session, tenant)
    data: dict[str, Any] = {"customer_id": customer.id, "subject": "No internet",
                            "description": "The router light is red."}
    data.update(overrides)
    return service.create_ticket(session, tenant.id, schemas.TicketCreate.model_validate(data),
                                 now=now)


def make_incident(session: Session, settings: Settings, tenant: Tenant) -> uuid.UUID:
    """An outage of the network module: a device that went down."""
    device = make_device(session, settings, tenant, f"olt-{uuid.uuid4().hex[:6]}",
                         device_type="olt")
    return alerts_service.open_incident(session, device, utcnow(), "no SNMP answer").id
