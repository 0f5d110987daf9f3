"""Every dashboard figure against values worked out by hand from a known world, on both
databases, and the same figures with a second tenant's identical world beside it."""

from __future__ import annotations

import re
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing.models import Invoice, Payment
from dotmac_isp.modules.identity.permissions import ALL_PERMISSIONS
from dotmac_isp.modules.reports.dashboard import build_dashboard
from tests.modules.reports.world import NOW, TODAY, build
from tests.support.factories import StaffUser, make_tenant, make_user
from tests.web.test_admin_pages import sign_in


def _lagos(session: Session, slug: str):  # type: ignore[no-untyped-def]
    return make_tenant(session, slug, timezone="Africa/Lagos", currency="USD")


def test_every_figure_matches_the_known_world(session: Session, settings: Settings) -> None:
    tenant = _lagos(session, "dash-a")
    build(session, settings, tenant)
    build(session, settings, _lagos(session, "dash-b"), salt="b")  # must not leak into A
    dash = build_dashboard(session, tenant, ALL_PERMISSIONS, now=NOW)

    assert dash.subscribers_by_state == {"active": 4, "pending": 1, "suspended": 1,
                                         "terminated": 2}
    assert (dash.new_this_month, dash.churned_this_month) == (2, 1)
    assert dash.mrr == Decimal("220.00") and dash.mrr_last_month == Decimal("190.00")
    assert dash.mrr_change == Decimal("30.00")
    assert dash.collected_this_month == Decimal("175.50")
    assert (dash.payments_today_count, dash.payments_today_amount) == (2, Decimal("75.50"))
    assert (dash.overdue_count, dash.overdue_amount) == (3, Decimal("240.00"))
    assert dash.sessions_online == 3
    assert dash.devices_down == 2
    assert [p.name for p in dash.pools_near_full] == ["small-a"]
    assert dash.tickets_open == 4
    assert dash.tickets_by_sla == {"breached": 1, "at_risk": 1, "paused": 1}

    assert [m for m, _ in dash.revenue_by_month] == [
        "2025-04", "2025-05", "2025-06", "2025-07", "2025-08", "2025-09", "2025-10", "2025-11",
        "2025-12", "2026-01", "2026-02", "2026-03"]
    revenue = dict(dash.revenue_by_month)
    assert revenue["2025-04"] == Decimal("60.00") and revenue["2026-02"] == Decimal("80.00")
    assert revenue["2026-03"] == Decimal("175.50")
    assert sum(revenue.values()) == Decimal("315.50")  # 31 March 2025 is outside the window
    assert [n for _, n in dash.subscribers_by_month] == [0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 4, 5]
    hours = dict(dash.sessions_by_hour)
    assert len(dash.sessions_by_hour) == 24 and dash.sessions_by_hour[-1] == ("10:00", 3)
    assert hours["09:00"] == 2 and hours["06:00"] == 2 and hours["07:00"] == 2
    assert hours["05:00"] == 1 and dash.sessions_by_hour[0] == ("11:00", 1)


def test_money_figures_agree_with_the_rows(session: Session, settings: Settings) -> None:
    """The same money figures summed in Python from the rows the database holds."""
    tenant = _lagos(session, "dash-a")
    build(session, settings, tenant)
    dash = build_dashboard(session, tenant, ALL_PERMISSIONS, now=NOW)
    payments = session.scalars(select(Payment).where(Payment.tenant_id == tenant.id)).all()
    assert dash.collected_this_month == sum(
        (p.amount for p in payments if p.received_on >= TODAY.replace(day=1)), Decimal("0"))
    invoices = session.scalars(select(Invoice).where(Invoice.tenant_id == tenant.id)).all()
    overdue = [i for i in invoices if i.status in ("issued", "partially_paid", "overdue")
               and i.due_date is not None and i.due_date < TODAY]
    assert dash.overdue_count == len(overdue)
    assert dash.overdue_amount == sum((i.total - i.amount_paid - i.amount_credited
                                       for i in overdue), Decimal("0"))


def test_a_role_sees_only_the_sections_it_may_read(session: Session, settings: Settings) -> None:
    tenant = _lagos(session, "dash-a")
    build(session, settings, tenant)
    dash = build_dashboard(session, tenant, {"support:read"}, now=NOW)
    assert dash.tickets_open == 4
    assert dash.mrr == Decimal("0.00") and dash.subscribers_by_state == {}
    assert dash.sessions_online == 0 and dash.revenue_by_month == []


def _figure(html: str, key: str) -> str:
    match = re.search(rf'data-testid="fig-{key}"[^>]*>\s*<span class="figure-value" '
                      rf'data-value="([^"]*)"', html)
    assert match, f"no figure {key}"
    return match.group(1)


def test_dashboard_page_shows_only_its_tenants_figures(client: TestClient, session: Session,
                                                      settings: Settings) -> None:
    tenant = _lagos(session, "dash-a")
    other = _lagos(session, "dash-b")
    build(session, settings, tenant)
    build(session, settings, other, salt="b")
    admin = make_user(session, settings, tenant, "admin", email="boss@dash-a.example")
    other_admin = make_user(session, settings, other, "admin", email="boss@dash-b.example")
    other_admin.user.full_name = "Other Boss"
    build_more_b(session, settings, other)
    assert sign_in(client, admin.user.email, admin.password).status_code == 303
    page = client.get("/admin")
    assert page.status_code == 200
    html = page.text
    assert _figure(html, "devices-down") == "2" and _figure(html, "sessions-online") == "3"
    assert _figure(html, "tickets-open") == "4" and _figure(html, "subs-active") == "4"
    assert _figure(html, "tickets-breached") == "1"
    assert 'href="/admin/invoices?overdue=1"' in html
    assert 'href="/admin/devices?reachability=down"' in html
    assert "small-a" in html and "small-b" not in html and "dev-b-" not in html
    assert "/static/vendor/uplot/uPlot.iife.min.js" in html
    assert client.get("/static/vendor/uplot/uPlot.iife.min.js").status_code == 200


def build_more_b(session: Session, settings: Settings, tenant) -> None:  # type: ignore[no-untyped-def]
    """Tenant B gets a third device down, so a leak would change A's figure."""
    from tests.modules.network.devices.factories import make_device
    make_device(session, settings, tenant, name="dev-b-extra").reachability = "down"
    session.flush()


def test_network_engineer_sees_no_money(client: TestClient, session: Session,
                                    settings: Settings) -> None:
    tenant = _lagos(session, "dash-a")
    build(session, settings, tenant)
    agent: StaffUser = make_user(session, settings, tenant, "network_engineer",
                                 email="agent@dash-a.example")
    assert sign_in(client, agent.user.email, agent.password).status_code == 303
    html = client.get("/admin").text
    assert 'data-testid="fig-tickets-open"' in html
    assert 'data-testid="fig-mrr"' not in html and 'data-testid="fig-overdue"' not in html
