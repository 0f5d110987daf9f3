"""The dashboard's NAS-down figure against the database and the list behind it, and the
month's new and churned figures linking to the subscription list filtered by date: the rows a
link shows are the rows the figure counted, at the tenant's month boundary, and another
tenant's NAS and subscriptions never count."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.identity.permissions import ALL_PERMISSIONS
from dotmac_isp.modules.network.radius import nas as nas_service
from dotmac_isp.modules.network.radius import schemas as radius_schemas
from dotmac_isp.modules.network.radius.health import DEFINITION
from dotmac_isp.modules.network.radius.models import NasClient, RadAcct, RadPostAuth
from dotmac_isp.modules.reports.dashboard import build_dashboard
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.shared.types import utcnow
from tests.modules.network.devices.factories import make_device
from tests.support.customers import make_plan, make_subscription
from tests.support.factories import StaffUser
from tests.web.billing_support import visible
from tests.web.test_admin_pages import sign_in


def _nas(session: Session, settings: Settings, tenant: Tenant, name: str, address: str,
         *, age: timedelta = timedelta(days=3), active: bool = True) -> NasClient:
    nas, _secret = nas_service.create_nas(session, settings, tenant.id, radius_schemas.NasCreate(
        name=name, address=address, secret="a-shared-secret"))
    nas.created_at, nas.is_active = utcnow() - age, active
    session.flush()
    return nas


def _heard(session: Session, nas: NasClient, *, acct: timedelta | None = None,
           stopped: timedelta | None = None, auth: timedelta | None = None,
           written: timedelta | None = None) -> None:
    """Accounting `acct` ago (a session still open) or `stopped` ago, written when it came
    in unless `written` says otherwise; an authentication `auth` ago."""
    now = utcnow()
    if acct is not None or stopped is not None:
        last = now - (acct if acct is not None else stopped)  # type: ignore[operator]
        session.add(RadAcct(tenant_id=nas.tenant_id, acctsessionid=uuid.uuid4().hex[:8],
                            acctuniqueid=uuid.uuid4().hex, username="u", nas_id=nas.id,
                            nasipaddress=nas.address.split("/")[0],
                            acctstarttime=last - timedelta(hours=1), acctupdatetime=last,
                            acctstoptime=last if stopped is not None else None,
                            changed_at=last if written is None else now - written))
    if auth is not None:
        session.add(RadPostAuth(tenant_id=nas.tenant_id, username="u", reply="Access-Accept",
                                nas_id=nas.id, authdate=now - auth))
    session.flush()


def _figure(html: str, key: str) -> tuple[int, str, str]:
    found = re.search(rf'<a class="figure" href="([^"]+)"(?: title="([^"]*)")? '
                      rf'data-testid="fig-{key}">\s*<span class="figure-value" '
                      rf'data-value="(\d+)"', html)
    assert found, key
    return int(found.group(3)), found.group(1).replace("&amp;", "&"), found.group(2) or ""


def test_nas_down_counts_silent_nas_and_nas_whose_device_is_down(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant, other_tenant: Tenant) -> None:
    live = _nas(session, settings, tenant, "bng-live", "198.51.100.1")
    _heard(session, live, acct=timedelta(minutes=4), auth=timedelta(hours=5))
    signing_in = _nas(session, settings, tenant, "bng-auth", "198.51.100.2")
    _heard(session, signing_in, auth=timedelta(minutes=3))
    closing = _nas(session, settings, tenant, "bng-stop", "198.51.100.3")
    _heard(session, closing, stopped=timedelta(minutes=10))
    silent = _nas(session, settings, tenant, "bng-silent", "198.51.100.4")
    _heard(session, silent, acct=timedelta(hours=2), auth=timedelta(minutes=45))
    # its last session was closed just now by the stale-session job, not by the NAS
    stale = _nas(session, settings, tenant, "bng-stale", "198.51.100.8")
    _heard(session, stale, stopped=timedelta(hours=3), written=timedelta(minutes=1))
    boxed = _nas(session, settings, tenant, "bng-device", "198.51.100.5")
    _heard(session, boxed, acct=timedelta(minutes=1))
    make_device(session, settings, tenant, name="bng-device-box",
                management_ip="198.51.100.5").reachability = "down"
    make_device(session, settings, tenant, name="bng-live-box",
                management_ip="198.51.100.1").reachability = "up"
    _nas(session, settings, tenant, "bng-new", "198.51.100.6", age=timedelta(minutes=5))
    _nas(session, settings, tenant, "bng-off", "198.51.100.7", active=False)
    _nas(session, settings, tenant, "pop-range", "198.51.100.128/25")  # silent, a range
    # another tenant's silent NAS and down device at one of our addresses count nowhere here
    _nas(session, settings, other_tenant, "their-bng", "203.0.113.9")
    make_device(session, settings, other_tenant, name="theirs",
                management_ip="198.51.100.1").reachability = "down"
    session.flush()

    dash = build_dashboard(session, tenant, ALL_PERMISSIONS, now=utcnow())
    assert (dash.nas_down, dash.nas_total) == (4, 8)

    sign_in(client, admin.user.email, admin.password)
    value, href, title = _figure(client.get("/admin").text, "nas-down")
    assert (value, href) == (4, "/admin/radius/nas?state=down")
    assert title == DEFINITION and "30 minutes" in title and "Status-Server" in title
    listed = client.get(href).text
    assert re.findall(r'<tr data-nas="([^"]+)"', listed) == ["bng-device", "bng-silent",
                                                             "bng-stale", "pop-range"]
    text = visible(listed)
    assert "down: its device is down" in text and "down: nothing heard for 30 minutes" in text
    every = re.findall(r'<tr data-nas="([^"]+)"', client.get("/admin/radius/nas").text)
    assert len(every) == 9 and "their-bng" not in every


def test_new_and_churned_figures_link_to_the_rows_they_count(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant, other_tenant: Tenant) -> None:
    tenant.timezone = "Africa/Lagos"  # UTC+1: the month starts at 23:00 UTC the day before
    zone = ZoneInfo("Africa/Lagos")
    local_today = utcnow().astimezone(zone).date()
    month_start = datetime.combine(local_today.replace(day=1), time(), zone).astimezone(UTC)
    inside, before = month_start + timedelta(seconds=1), month_start - timedelta(seconds=1)
    plan = make_plan(session, tenant)
    expected: dict[str, set[str]] = {"new": set(), "churned": set()}
    for n, (activated, terminated) in enumerate([
            (inside, None), (utcnow() - timedelta(minutes=1), None), (before, None),
            (before - timedelta(days=40), inside), (before - timedelta(days=40), before),
            (inside, inside)]):
        status = SubscriptionStatus.TERMINATED if terminated else SubscriptionStatus.ACTIVE
        sub = make_subscription(session, settings, tenant, plan=plan, status=status,
                                radius_username=f"month{n}@isp")
        sub.activated_at, sub.terminated_at = activated, terminated
        if activated >= month_start:
            expected["new"].add(sub.radius_username)
        if terminated and terminated >= month_start:
            expected["churned"].add(sub.radius_username)
    theirs = make_subscription(session, settings, other_tenant, status=SubscriptionStatus.ACTIVE,
                               radius_username="elsewhere@isp")
    theirs.activated_at = inside
    session.flush()
    assert expected == {"new": {"month0@isp", "month1@isp", "month5@isp"},
                        "churned": {"month3@isp", "month5@isp"}}

    sign_in(client, admin.user.email, admin.password)
    home = client.get("/admin").text
    for key, field in (("new", "activated"), ("churned", "ended")):
        value, href, _title = _figure(home, f"{key}-this-month")
        assert f"{field}_from={local_today.replace(day=1).isoformat()}" in href
        assert f"{field}_to={local_today.isoformat()}" in href
        page = client.get(href).text
        shown = set(re.findall(r'<tr data-username="([^"]+)"', page))
        assert shown == expected[key] and value == len(shown), key
        # the filters stay in the list's own links (sorting, page size)
        assert f"{field}_from=" in page.split('data-sort="username"')[0].rsplit("href=", 1)[1]

    odd = client.get("/admin/subscriptions", params={"activated_from": "last tuesday"})
    assert odd.status_code == 200 and "is not a date" in visible(odd.text)
    assert len(re.findall(r'<tr data-username="', odd.text)) == 6  # the filter is dropped
