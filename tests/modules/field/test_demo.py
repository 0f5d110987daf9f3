"""The demo tenant's work orders: the technician has jobs today, one is done, one waits."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.field import demo, service
from dotmac_isp.modules.field.access import whole_tenant
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.support import schemas as support_schemas
from dotmac_isp.modules.support import service as support_service
from dotmac_isp.shared.pagination import PageParams
from tests.modules.field.factories import make_technician
from tests.support.customers import make_customer, make_subscription
from tests.support.factories import make_user


def test_demo_work_orders_once(session: Session, settings: Settings, tenant: Tenant) -> None:
    tech = make_technician(session, settings, tenant)
    make_user(session, settings, tenant, "support")
    for _ in range(2):
        make_subscription(session, settings, tenant)
    support_service.create_ticket(session, tenant.id, support_schemas.TicketCreate(
        customer_id=make_customer(session, tenant).id, subject="Slow", description="evenings"))
    created: list[str] = []
    demo.seed_work_orders(session, tenant, created)
    assert created == ["5 work orders"]
    orders = service.list_work_orders(session, whole_tenant(tenant.id),
                                      PageParams(limit=50)).items
    assert sorted(o.status for o in orders) == ["done", "new", "scheduled", "scheduled",
                                                "scheduled"]
    assert {o.technician_id for o in orders if o.status != "new"} == {tech.user.id}
    assert any(o.kind == "installation" and o.subscription_id for o in orders)
    demo.seed_work_orders(session, tenant, created)
    assert created == ["5 work orders"]
