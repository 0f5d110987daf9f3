"""The demo ISP's stockroom: numbers a newcomer can check by hand, and seeding twice adds
nothing."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dotmac_isp import demo
from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.inventory import catalogue, stock
from dotmac_isp.modules.inventory.models import Movement
from dotmac_isp.modules.inventory.queries import cpe_of_subscription
from dotmac_isp.modules.services import service as services
from dotmac_isp.shared.pagination import PageParams


def test_demo_stockroom(demo_session: Session, settings: Settings) -> None:
    session = demo_session
    tenant = session.scalars(select(Tenant).where(Tenant.slug == demo.DEMO_TENANT_SLUG)).one()
    locations = {loc.name: loc for loc in catalogue.list_locations(
        session, tenant.id, PageParams(limit=10)).items}
    counts = {name: {r.kind: r.in_stock for r in stock.location_stock(session, tenant.id, loc)}
              for name, loc in locations.items()}
    # 12 ONUs and 12 routers received; 5 ONUs and 300 m of cable to the van; an ONU (from
    # the van) and a router (from the warehouse) installed at each of 3 subscriptions
    assert counts == {"Lagos warehouse": {"onu": 7, "router": 9, "cable": 1700},
                      "Van 1": {"onu": 2, "cable": 300}}
    assert locations["Van 1"].kind == "van"
    active = services.list_subscriptions(session, tenant.id, PageParams(limit=3),
                                         status="active").items
    assert [sorted(c.model for c in cpe_of_subscription(session, tenant.id, s.id))
            for s in active] == [["EchoLife HG8245H", "hAP ac2"]] * 3
    movements = session.scalar(select(func.count()).select_from(Movement).where(
        Movement.tenant_id == tenant.id))
    demo.seed(session, settings)
    assert session.scalar(select(func.count()).select_from(Movement).where(
        Movement.tenant_id == tenant.id)) == movements
