"""Objects for the customer and subscription page tests: a NAS, sessions, usage, addresses."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.ipam.enums import PoolKind
from dotmac_isp.modules.network.radius import nas as nas_service
from dotmac_isp.modules.network.radius import schemas as radius_schemas
from dotmac_isp.modules.network.radius.models import NasClient, RadAcct, UsageDaily
from dotmac_isp.modules.services.models import Subscription
from dotmac_isp.shared.types import utcnow
from tests.modules.network.ipam.factories import make_pool, take


def make_nas(session: Session, settings: Settings, tenant: Tenant,
             address: str = "198.51.100.1") -> NasClient:
    nas, _secret = nas_service.create_nas(session, settings, tenant.id, radius_schemas.NasCreate(
        name="bng-1", address=address, secret="testing-secret-123",
        vendor="mikrotik"))  # type: ignore[arg-type]
    return nas


def session_row(session: Session, nas: NasClient, sub: Subscription, *, stopped: bool = False,
                mac: str | None = None, ip: str = "100.64.40.5") -> RadAcct:
    row = RadAcct(tenant_id=nas.tenant_id, acctsessionid=f"S-{uuid.uuid4().hex[:6]}",
                  acctuniqueid=uuid.uuid4().hex, username=sub.radius_username,
                  nasipaddress=nas.address.split("/")[0], framedipaddress=ip,
                  acctstarttime=utcnow(), acctstoptime=utcnow() if stopped else None,
                  callingstationid=mac, nas_id=nas.id, subscription_id=sub.id)
    session.add(row)
    session.flush()
    return row


def usage_today(session: Session, sub: Subscription, download: int, upload: int,
                on: date | None = None) -> UsageDaily:
    row = UsageDaily(tenant_id=sub.tenant_id, subscription_id=sub.id,
                     usage_date=on or utcnow().date(), input_octets=upload,
                     output_octets=download, session_seconds=3600)
    session.add(row)
    session.flush()
    return row


def give_addresses(session: Session, tenant: Tenant, sub: Subscription, *,
                   ipv4: str = "100.64.40.5") -> None:
    """An IPv4 address and a delegated /56 held by the subscription."""
    v4 = make_pool(session, tenant, "100.64.40.0/24", name="glance-v4")
    take(session, v4, ipv4, holder_id=sub.id)
    pd = make_pool(session, tenant, "2001:db8:4000::/48", name="glance-pd",
                   kind=PoolKind.DELEGATION, delegated_length=56)
    take(session, pd, "2001:db8:4000::/56", holder_id=sub.id)
