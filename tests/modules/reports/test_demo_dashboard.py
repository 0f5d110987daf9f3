"""The demo seed leaves the dashboard with sessions online, devices down and charts to draw."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp import demo
from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.identity.permissions import ALL_PERMISSIONS
from dotmac_isp.modules.reports.dashboard import build_dashboard


def test_demo_seed_fills_the_dashboard(demo_session: Session, settings: Settings) -> None:
    session = demo_session
    tenant = session.scalars(select(Tenant).where(Tenant.slug == demo.DEMO_TENANT_SLUG)).one()
    dash = build_dashboard(session, tenant, ALL_PERMISSIONS)
    assert dash.sessions_online > 100 and dash.devices_down == 2
    assert max(n for _, n in dash.sessions_by_hour) > 0
    assert dash.subscribers_by_state["active"] > 100 and dash.mrr > 0
    again = demo.seed(session, settings)
    assert not any("RADIUS sessions" in line for line in again.created)
    assert build_dashboard(session, tenant, ALL_PERMISSIONS).sessions_online == \
        dash.sessions_online
