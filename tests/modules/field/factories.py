"""Small factories for field tests: technicians, work orders, windows, checklists."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.field import checklists, schemas, service
from dotmac_isp.modules.field.models import WorkOrder
from dotmac_isp.modules.identity.models import Tenant
from tests.support.customers import make_customer
from tests.support.factories import StaffUser, make_user

# A 1x1 transparent PNG: a real image, as a phone would send one.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082")


def make_technician(session: Session, settings: Settings, tenant: Tenant,
                    name: str = "Tunde Field") -> StaffUser:
    staff = make_user(session, settings, tenant, "technician",
                      email=f"{name.split()[0].lower()}-{uuid.uuid4().hex[:6]}@"
                            f"{tenant.slug}.example")
    staff.user.full_name = name
    session.flush()
    return staff


def make_work_order(session: Session, tenant: Tenant, *, customer: Customer | None = None,
                    kind: str = "repair", **overrides: Any) -> WorkOrder:
    customer = customer or make_customer(session, tenant)
    data: dict[str, Any] = {"kind": kind, "customer_id": customer.id,
                            "description": "No light on the ONT"}
    data.update(overrides)
    return service.create_work_order(session, tenant.id,
                                     schemas.WorkOrderCreate.model_validate(data))


def slot(day: int = 1, hour: int = 9, hours: int = 2) -> tuple[datetime, datetime]:
    """A window `day` days from today (UTC) starting at `hour`."""
    base = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = base + timedelta(days=day, hours=hour)
    return start, start + timedelta(hours=hours)


def set_checklist(session: Session, tenant: Tenant, kind: str,
                  items: list[tuple[str, bool]]) -> None:
    checklists.set_template(session, tenant.id, schemas.ChecklistTemplateIn.model_validate(
        {"kind": kind, "items": [{"label": label, "required": required}
                                 for label, required in items]}))
