"""The demo seed leaves a week of device metrics and months of billing behind, once."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dotmac_isp import demo
from dotmac_isp.config import Settings
from dotmac_isp.modules.billing import service as billing
from dotmac_isp.modules.billing.models import Invoice, Payment
from dotmac_isp.modules.identity.models import Tenant, User
from dotmac_isp.modules.identity.permissions import ALL_PERMISSIONS
from dotmac_isp.modules.network.devices.models import Device
from dotmac_isp.modules.network.devices.polling.models import (
    DeviceRollup,
    DeviceSample,
    InterfaceRollup,
    InterfaceSample,
)
from dotmac_isp.modules.reports.dashboard import build_dashboard
from dotmac_isp.modules.reports.tables import receivables_aging
from tests.support.factories import access_token


def _counts(session: Session) -> list[int]:
    return [session.scalar(select(func.count()).select_from(m)) or 0
            for m in (DeviceRollup, DeviceSample, InterfaceRollup, InterfaceSample)]


def test_demo_seed_gives_devices_a_week_of_charts(demo_session: Session, settings: Settings,
                                                  demo_client: TestClient) -> None:
    session, client = demo_session, demo_client
    tenant = session.scalars(select(Tenant).where(Tenant.slug == demo.DEMO_TENANT_SLUG)).one()
    admin = session.scalars(select(User).where(User.email == demo.DEMO_ADMIN_EMAIL)).one()
    headers = {"Authorization": f"Bearer {access_token(settings, admin)}"}
    core = session.scalars(select(Device).where(Device.tenant_id == tenant.id,
                                                Device.name == "core-1")).one()
    # the week before the seed (the run's shared demo may have been seeded a while ago)
    seeded = session.scalar(select(func.max(DeviceSample.sampled_at)).where(
        DeviceSample.device_id == core.id))
    since = (seeded - timedelta(days=7)).isoformat()
    week = client.get(f"/api/v1/devices/{core.id}/metrics", params={"since": since},
                      headers=headers).json()
    assert week["resolution"] == "hourly" and len(week["points"]) >= 7 * 24 - 1
    cpu = [p["cpu_pct"] for p in week["points"]]
    assert max(cpu) - min(cpu) > 20  # a daily curve, not a flat line
    day = client.get(f"/api/v1/devices/{core.id}/metrics", headers=headers).json()
    assert day["resolution"] == "raw" and len(day["points"]) > 200
    ports = client.get(f"/api/v1/devices/{core.id}/interfaces", headers=headers).json()
    traffic = client.get(f"/api/v1/interfaces/{ports['items'][0]['id']}/traffic",
                         params={"since": since}, headers=headers).json()
    assert len(traffic["points"]) >= 7 * 24 - 1
    assert max(p["in_bps"] for p in traffic["points"]) > 1e9
    olt = session.scalars(select(Device).where(Device.tenant_id == tenant.id,
                                               Device.name == "olt-1")).one()
    recent = client.get(f"/api/v1/devices/{olt.id}/metrics", headers=headers).json()["points"]
    assert recent[0]["availability_pct"] == 100 and recent[-1]["availability_pct"] == 0

    before = _counts(session)
    demo.seed(session, settings)
    assert _counts(session) == before


def test_demo_seed_leaves_months_of_billing(demo_session: Session, settings: Settings) -> None:
    session = demo_session
    tenant = session.scalars(select(Tenant).where(Tenant.slug == demo.DEMO_TENANT_SLUG)).one()
    dash = build_dashboard(session, tenant, ALL_PERMISSIONS)
    months_with_revenue = [m for m, amount in dash.revenue_by_month if amount > 0]
    assert len(months_with_revenue) >= 5
    assert dash.overdue_count > 5 and dash.overdue_amount > 0
    today = billing.tenant_today(session, tenant.id)
    month_start = today.replace(day=1)
    aging = receivables_aging(session, tenant, today, today)
    assert sum(row[1] for row in aging.rows[1:]) == dash.overdue_count
    # every past month's invoice is paid or overdue: what is still due is all overdue
    statuses = dict(session.execute(select(Invoice.status, func.count())
                                    .where(Invoice.tenant_id == tenant.id)
                                    .group_by(Invoice.status)).all())
    assert statuses["paid"] > statuses["overdue"] > 0
    due = session.scalar(select(func.sum(Invoice.total - Invoice.amount_paid
                                         - Invoice.amount_credited))
                         .where(Invoice.tenant_id == tenant.id, Invoice.issue_date < month_start))
    assert due == dash.overdue_amount

    before = session.scalar(select(func.count()).select_from(Invoice))
    payments_before = session.scalar(select(func.count()).select_from(Payment))
    again = demo.seed(session, settings)
    assert again.created == []
    assert session.scalar(select(func.count()).select_from(Invoice)) == before
    assert session.scalar(select(func.count()).select_from(Payment)) == payments_before
