"""The portal home's service status: online now (an open accounting session) or offline,
the address the connection has now, and the plan with its speeds."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.services.models import Subscription
from tests.modules.network.ipam.factories import make_pool, take
from tests.web.billing_support import visible
from tests.web.glance_support import make_nas, session_row
from tests.web.test_billing_portal import portal_sign_in
from tests.web.test_portal_pages import subscriber


def _status(client: TestClient, tenant: Tenant) -> dict[str, str]:
    """What the services table shows in its one row, by data-testid."""
    page = client.get(f"/portal/{tenant.slug}")
    assert page.status_code == 200
    (row,) = re.findall(r'<tr data-testid="service-row">(.*?)</tr>', page.text, re.S)
    return {name: visible(value) for name, value in
            re.findall(r'data-testid="([\w-]+)"[^>]*>(.*?)</(?:span|strong)>', row, re.S)}


def _static_address(session: Session, tenant: Tenant, sub: Subscription) -> None:
    take(session, make_pool(session, tenant, "100.64.41.0/24", name="status-v4"),
         "100.64.41.9", holder_id=sub.id)


def test_online_shows_the_live_sessions_address_and_the_plan(
        client: TestClient, session: Session, settings: Settings, tenant: Tenant) -> None:
    _me, sub = subscriber(session, settings, tenant, "me@home.example", "Home Fibre 300")
    _static_address(session, tenant, sub)
    nas = make_nas(session, settings, tenant)
    session_row(session, nas, sub, stopped=True, ip="100.64.40.77")  # yesterday's session
    session_row(session, nas, sub, ip="100.64.41.9")
    portal_sign_in(client, tenant.slug, "me@home.example", "my-portal-pw")
    status = _status(client, tenant)
    assert status["online"] == "Online now" and "offline" not in status
    assert status["ip-address"] == "100.64.41.9"
    assert status["plan"] == "Home Fibre 300"
    assert status["plan-speed"] == "50 Mbit/s / 10 Mbit/s"


def test_offline_after_the_session_ended_with_the_assigned_address_only(
        client: TestClient, session: Session, settings: Settings, tenant: Tenant) -> None:
    _me, sub = subscriber(session, settings, tenant, "me@home.example", "Home Fibre 300")
    _static_address(session, tenant, sub)
    session_row(session, make_nas(session, settings, tenant), sub, stopped=True,
                ip="100.64.40.77")
    portal_sign_in(client, tenant.slug, "me@home.example", "my-portal-pw")
    status = _status(client, tenant)
    assert status["offline"] == "Offline" and "online" not in status
    assert status["ip-address"] == "100.64.41.9"  # the address it keeps, not the last one seen
    assert status["plan"] == "Home Fibre 300"


def test_offline_without_an_assigned_address_shows_none(
        client: TestClient, session: Session, settings: Settings, tenant: Tenant) -> None:
    _me, sub = subscriber(session, settings, tenant, "me@home.example", "Home Fibre 300")
    session_row(session, make_nas(session, settings, tenant), sub, stopped=True,
                ip="100.64.40.77")
    portal_sign_in(client, tenant.slug, "me@home.example", "my-portal-pw")
    status = _status(client, tenant)
    assert status["offline"] == "Offline" and "ip-address" not in status
    assert "100.64.40.77" not in client.get(f"/portal/{tenant.slug}").text
