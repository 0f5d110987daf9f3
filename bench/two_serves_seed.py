"""Seeding the two-serves run: one ISP with staff, a NAS on loopback, subscribers due for
billing (some with an open RADIUS session) and devices that all point at one SNMP agent.

Subscriptions are activated a month back, so activation billed the last period and the
current one is due: the first billing run of either process bills it. Every mail queued
here (the activation invoices) is left queued for the processes to send.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.customers import schemas as customer_schemas
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.identity import schemas as identity_schemas
from dotmac_isp.modules.identity import security
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.network.devices import schemas as device_schemas
from dotmac_isp.modules.network.devices import service as devices_service
from dotmac_isp.modules.network.radius import nas as nas_service
from dotmac_isp.modules.network.radius import schemas as radius_schemas
from dotmac_isp.modules.network.radius.models import RadAcct
from dotmac_isp.modules.services import catalogue, lifecycle
from dotmac_isp.modules.services import schemas as service_schemas
from dotmac_isp.modules.services import service as services
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.types import utcnow

NAS_SECRET = "two-serves-nas-secret"
STAFF_PASSWORD = "two-serves-password-123"


@dataclass
class Seeded:
    tenant_id: uuid.UUID
    token: str
    staff_emails: list[str]
    subscription_ids: list[uuid.UUID]
    with_session: list[uuid.UUID]  # subscriptions with an open session (suspend/restore)
    device_ids: list[uuid.UUID]
    sessions: dict[uuid.UUID, str] = field(default_factory=dict)  # subscription -> session id


def seed(database: Database, settings: Settings, *, nas_port: int, snmp_port: int,
         devices: int, interval: int, subscribers: int, sessions: int,
         staff: int = 3) -> Seeded:
    """One ISP as described in the module docstring; returns what the run drives."""
    now = utcnow()
    activated = now - timedelta(days=30)
    with database.unit_of_work() as session:
        tenant = identity_service.create_tenant(session, name="Two Serves ISP",
                                                slug=f"two-{uuid.uuid4().hex[:6]}")
        role = identity_service.role_by_name(session, tenant.id, "admin")
        emails = [f"staff{n}@two-serves.example" for n in range(staff + 1)]
        users = [identity_service.create_user(session, settings, tenant.id,
                                              identity_schemas.UserCreate(
                                                  email=email, full_name=f"Staff {n}",
                                                  password=STAFF_PASSWORD, role_id=role.id))
                 for n, email in enumerate(emails)]
        nas, _secret = nas_service.create_nas(
            session, settings, tenant.id, radius_schemas.NasCreate(
                name="bng-1", address="127.0.0.1", secret=NAS_SECRET,
                vendor="mikrotik", coa_port=nas_port))
        plan = catalogue.create_plan(session, tenant.id, service_schemas.PlanCreate(
            name="Fibre 50", kind="internet", download_kbps=50_000, upload_kbps=10_000,
            price=Decimal("29.99"), billing_cycle="monthly"))
        seeded = Seeded(tenant.id, "", emails[1:], [], [], [])
        for n in range(subscribers):
            sub_id = _subscriber(session, settings, tenant.id, plan.id, n, activated)
            seeded.subscription_ids.append(sub_id)
            if n < sessions:
                seeded.with_session.append(sub_id)
                seeded.sessions[sub_id] = _open_session(session, tenant.id, nas.id, sub_id,
                                                        n, now)
        for n in range(devices):
            device = devices_service.create_device(
                session, settings, tenant.id, device_schemas.DeviceCreate(
                    name=f"sw-{n:04d}", device_type="switch",
                    management_ip="127.0.0.1", snmp_port=snmp_port,
                    snmp_community="public", poll_interval_seconds=interval))
            seeded.device_ids.append(device.id)
        tenant_id, admin_id = tenant.id, users[0].id
    seeded.token = security.encode_access_token(settings.secret_key.get_secret_value(),
                                                admin_id, tenant_id, timedelta(hours=4))
    return seeded


def _subscriber(session: Session, settings: Settings, tenant_id: uuid.UUID,
                plan_id: uuid.UUID, n: int, activated: datetime) -> uuid.UUID:
    customer = customers_service.create_customer(
        session, tenant_id, customer_schemas.CustomerCreate.model_validate({
            "first_name": "Sub", "last_name": f"{n:04d}",
            "email": f"sub{n:04d}@two-serves.example",
            "addresses": [{"kind": "service", "line1": f"{n} Marina Road", "city": "Lagos",
                           "country": "NG"}]}))
    sub = services.create_subscription(
        session, settings, tenant_id, service_schemas.SubscriptionCreate(
            customer_id=customer.id, plan_id=plan_id, radius_username=f"sub{n:04d}",
            radius_password=f"pw-{n:04d}-secret"))
    lifecycle.transition(session, tenant_id, sub.id,
                         SubscriptionStatus.PROVISIONING, reason="seed",
                         effective_at=activated - timedelta(hours=1))
    lifecycle.transition(session, tenant_id, sub.id,
                         SubscriptionStatus.ACTIVE, reason="seed", effective_at=activated)
    return sub.id


def _open_session(session: Session, tenant_id: uuid.UUID, nas_id: uuid.UUID,
                  sub_id: uuid.UUID, n: int, now: datetime) -> str:
    session_id = f"S-{n:04d}-{uuid.uuid4().hex[:6]}"
    session.add(RadAcct(
        tenant_id=tenant_id, acctsessionid=session_id, acctuniqueid=uuid.uuid4().hex,
        username=f"sub{n:04d}", nasipaddress="127.0.0.1",
        framedipaddress=f"100.64.{n // 256}.{n % 256 + 1}", acctstarttime=now,
        acctupdatetime=now, nas_id=nas_id, subscription_id=sub_id))
    return session_id
