"""The demo ISP a newcomer sees on first start. Seeding twice adds nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp import demo_activity, demo_business, demo_invoices, demo_metrics, demo_network
from dotmac_isp.config import Settings
from dotmac_isp.modules.field import demo as field_demo
from dotmac_isp.modules.identity import schemas, service
from dotmac_isp.modules.identity.models import Tenant, User
from dotmac_isp.modules.inventory import demo as inventory_demo
from dotmac_isp.modules.map import demo as map_demo
from dotmac_isp.modules.network.ipam import demo as ipam_demo
from dotmac_isp.modules.services import service as services
from dotmac_isp.modules.support import demo as support_demo
from dotmac_isp.shared.pagination import PageParams

DEMO_TENANT_SLUG = "demo"
DEMO_ADMIN_EMAIL = "admin@demo.dotmac.example"
DEMO_ADMIN_PASSWORD = "demo-admin-pass"
DEMO_STAFF = (
    ("billing@demo.dotmac.example", "Bola Billing", "billing"),
    ("support@demo.dotmac.example", "Sam Support", "support"),
    ("noc@demo.dotmac.example", "Nia Network", "network_engineer"),
    ("viewer@demo.dotmac.example", "Vic Viewer", "read_only"),
    ("tech@demo.dotmac.example", "Tunde Technician", "technician"),
)


@dataclass
class SeedResult:
    created: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = ["demo data: " + (", ".join(self.created) if self.created else "already present")]
        lines.append(f"sign in at /admin as {DEMO_ADMIN_EMAIL} / {DEMO_ADMIN_PASSWORD}")
        lines.append(f"customer portal at /portal/{DEMO_TENANT_SLUG} as "
                     f"{demo_business.PORTAL_LOGIN} / {demo_business.PORTAL_PASSWORD}")
        lines.append(f"RADIUS NAS 127.0.0.1 with secret {demo_network.NAS_SECRET}; a "
                     f"subscriber's username and password are on its page under /admin")
        return "\n".join(lines)


def seed(session: Session, settings: Settings) -> SeedResult:
    """Create the demo tenant, its staff, plans, customers and subscriptions if missing."""
    result = SeedResult()
    tenant = session.scalars(select(Tenant).where(Tenant.slug == DEMO_TENANT_SLUG)).one_or_none()
    if tenant is None:
        tenant = service.create_tenant(session, name="Demo Fibre & Wireless",
                                       slug=DEMO_TENANT_SLUG, currency="USD",
                                       timezone="Africa/Lagos")
        result.created.append("tenant")
    staff = [(DEMO_ADMIN_EMAIL, "Ada Admin", "admin"), *DEMO_STAFF]
    for email, name, role_name in staff:
        if session.scalar(select(User.id).where(User.email == email)) is not None:
            continue
        role = service.role_by_name(session, tenant.id, role_name)
        service.create_user(session, settings, tenant.id, schemas.UserCreate(
            email=email, full_name=name, password=DEMO_ADMIN_PASSWORD, role_id=role.id))
        result.created.append(f"user {email}")
    result.created.extend(ipam_demo.seed(session, tenant.id))
    demo_network.seed(session, settings, tenant, result.created)
    stories = demo_business.seed_business(session, settings, tenant, result.created)
    demo_invoices.play_history(session, tenant, stories, result.created)
    _seed_inventory(session, tenant, result.created)
    map_demo.seed(session, settings, tenant.id, result.created)
    support_demo.seed_tickets(session, tenant, result.created)
    field_demo.seed_work_orders(session, tenant, result.created)
    demo_activity.seed_activity(session, tenant, result.created)
    demo_metrics.seed_metrics(session, tenant, result.created)
    return result


def _seed_inventory(session: Session, tenant: Tenant, created: list[str]) -> None:
    """The stockroom, with Nia's van and CPE at the first active subscriptions."""
    driver = session.scalar(select(User.id).where(User.email == "noc@demo.dotmac.example"))
    active = services.list_subscriptions(session, tenant.id, PageParams(limit=3),
                                         status="active").items
    inventory_demo.seed(session, tenant.id, driver, [s.id for s in active], created)
