"""A subscriber to suspend, with an open RADIUS session on a NAS stand-in: the start of the
traces that run from a request to a Disconnect."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.radius.models import NasClient, RadAcct
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.shared.db import Database
from tests.modules.network.radius.support import Isp, seed_isp
from tests.support.factories import make_user

SESSION_ID = "TRACED-1"


def online_subscriber(database: Database, settings: Settings, nas_port: int) -> tuple[Isp, str]:
    """alice, active, with an open session on a NAS whose CoA port is nas_port; the token of
    an admin of her ISP."""
    isp = seed_isp(database, settings, statuses={"alice": SubscriptionStatus.ACTIVE})
    now = datetime.now(UTC)
    with database.unit_of_work() as session:
        nas = session.get(NasClient, isp.nas_id)
        assert nas is not None
        nas.coa_port = nas_port
        session.add(RadAcct(tenant_id=isp.tenant.id, subscription_id=isp.subs["alice"].id,
                            nas_id=isp.nas_id, acctsessionid=SESSION_ID,
                            acctuniqueid=uuid.uuid4().hex, username="alice",
                            nasipaddress="127.0.0.1", framedipaddress="100.64.0.20",
                            acctstarttime=now, acctupdatetime=now))
        tenant = session.get(Tenant, isp.tenant.id)
        assert tenant is not None
        token = make_user(session, settings, tenant, "admin").token
    return isp, token
