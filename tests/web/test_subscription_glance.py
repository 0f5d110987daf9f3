"""The subscription page: addresses, live sessions with Disconnect, usage graph, CPE, RADIUS
credentials and a history of status and plan changes (over HTTP)."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.radius.models import CoaRequest
from dotmac_isp.modules.services import service
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.modules.services.schemas import PlanChangeRequest
from dotmac_isp.shared.types import utcnow
from tests.support.customers import make_customer, make_plan, make_subscription
from tests.support.factories import StaffUser, make_user
from tests.web.billing_support import visible
from tests.web.glance_support import give_addresses, make_nas, session_row, usage_today
from tests.web.test_admin_pages import csrf_of, sign_in


def _text(html: str, testid: str) -> str:
    start = html.index(f'data-testid="{testid}"')
    return visible(html[html.index(">", start) + 1:html.index("</", start)])


def test_addresses_cpe_and_usage_match_the_data(client: TestClient, admin: StaffUser,
                                                session: Session, settings: Settings,
                                                tenant: Tenant) -> None:
    customer = make_customer(session, tenant, first_name="Ngozi", last_name="Eze")
    plan = make_plan(session, tenant, data_cap_mb=50_000)
    sub = make_subscription(session, settings, tenant, customer=customer, plan=plan,
                            status=SubscriptionStatus.ACTIVE, radius_username="ngozi")
    give_addresses(session, tenant, sub, ipv4="100.64.40.9")
    nas = make_nas(session, settings, tenant)
    session_row(session, nas, sub, stopped=True, mac="AA-BB-CC-00-00-01")
    session_row(session, nas, sub, stopped=True, mac="AA-BB-CC-00-00-02")  # the latest
    usage_today(session, sub, download=4_000_000_000, upload=1_000_000_000)
    usage_today(session, sub, download=2_000_000_000, upload=0,
                on=utcnow().date() - timedelta(days=3))
    sign_in(client, admin.user.email, admin.password)
    page = client.get(f"/admin/subscriptions/{sub.id}").text
    assert _text(page, "sub-ipv4") == "100.64.40.9"
    assert _text(page, "sub-ipv6-prefix") == "2001:db8:4000::/56"
    assert "AA-BB-CC-00-00-02" in _text(page, "sub-mac")
    assert "Ngozi Eze" in page and f'href="/admin/customers/{customer.id}"' in page
    assert _text(page, "online-state") == "offline" and "Offline: no live session." in page
    month = visible(page[page.index('data-testid="sub-month-usage"') + 30:][:200])
    if (utcnow().date() - timedelta(days=3)).month == utcnow().date().month:
        assert month.startswith("7 GB of 50 GB (14.0%)")
    else:  # the older day is last month
        assert month.startswith("5 GB of 50 GB (10.0%)")
    graph = page[page.index('id="usage-chart"') - 200:page.index("</svg>")]
    assert 'data-points="4"' in graph  # two days, download and upload
    assert 'data-series="download"' in graph and 'data-series="upload"' in graph
    assert "download 4 GB" in graph and "upload 1 GB" in graph  # the legend shows today


def test_live_session_and_disconnect_from_the_page(client: TestClient, admin: StaffUser,
                                                   session: Session, settings: Settings,
                                                   tenant: Tenant) -> None:
    sub = make_subscription(session, settings, tenant, status=SubscriptionStatus.ACTIVE)
    other = make_subscription(session, settings, tenant, status=SubscriptionStatus.ACTIVE)
    nas = make_nas(session, settings, tenant)
    live = session_row(session, nas, sub, mac="AA-BB-CC-00-00-09")
    foreign = session_row(session, nas, other)
    sign_in(client, admin.user.email, admin.password)
    page = client.get(f"/admin/subscriptions/{sub.id}").text
    assert _text(page, "online-state") == "online"
    rows = re.findall(r'data-testid="live-session">(.*?)</tr>', page, re.S)
    assert len(rows) == 1 and live.acctsessionid in rows[0] and "AA-BB-CC-00-00-09" in rows[0]
    token = csrf_of(page)
    url = f"/admin/subscriptions/{sub.id}/sessions/{live.radacctid}/disconnect"
    assert f'action="{url}"' in page
    done = client.post(url, data={"csrf_token": token}, follow_redirects=True)
    assert done.status_code == 200 and f"Disconnect queued for session {live.acctsessionid}" \
        in done.text
    queued = session.query(CoaRequest).filter_by(radacctid=live.radacctid).all()
    assert [(q.kind, q.reason, q.state) for q in queued] == [("disconnect", "staff", "pending")]
    # another subscription's session cannot be disconnected through this page
    wrong = client.post(f"/admin/subscriptions/{sub.id}/sessions/{foreign.radacctid}/disconnect",
                        data={"csrf_token": token})
    assert wrong.status_code == 404
    assert session.query(CoaRequest).filter_by(radacctid=foreign.radacctid).count() == 0


def test_read_only_staff_see_sessions_but_cannot_disconnect(
        client: TestClient, session: Session, settings: Settings, tenant: Tenant) -> None:
    sub = make_subscription(session, settings, tenant, status=SubscriptionStatus.ACTIVE)
    live = session_row(session, make_nas(session, settings, tenant), sub)
    viewer = make_user(session, settings, tenant, "read_only")
    sign_in(client, viewer.user.email, viewer.password)
    page = client.get(f"/admin/subscriptions/{sub.id}").text
    assert live.acctsessionid in page and 'data-testid="disconnect"' not in page
    refused = client.post(f"/admin/subscriptions/{sub.id}/sessions/{live.radacctid}/disconnect",
                          data={"csrf_token": csrf_of(page)})
    assert refused.status_code == 403
    assert session.query(CoaRequest).count() == 0


def test_password_is_revealed_on_click_and_history_has_plan_and_status_changes(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant) -> None:
    old = make_plan(session, tenant, name="Home 50")
    new = make_plan(session, tenant, name="Home 200")
    sub = make_subscription(session, settings, tenant, plan=old, radius_username="hist-user",
                            radius_password="s3cret-pw-123", status=SubscriptionStatus.ACTIVE)
    service.change_plan(session, tenant.id, sub.id,
                        PlanChangeRequest(plan_id=new.id, reason="wants faster"))
    sign_in(client, admin.user.email, admin.password)
    page = client.get(f"/admin/subscriptions/{sub.id}").text
    assert _text(page, "radius-username") == "hist-user"
    assert "s3cret-pw-123" not in page
    assert f'hx-get="/admin/subscriptions/{sub.id}/password"' in page
    revealed = client.get(f"/admin/subscriptions/{sub.id}/password",
                          headers={"HX-Request": "true"})
    assert revealed.status_code == 200 and ">s3cret-pw-123<" in revealed.text
    plan_rows = re.findall(r'data-testid="history-plan">(.*?)</tr>', page, re.S)
    assert len(plan_rows) == 1 and "plan Home 50 → Home 200 wants faster" in visible(plan_rows[0])
    status_rows = [visible(r) for r in re.findall(r'data-testid="history-status">(.*?)</tr>',
                                                  page, re.S)]
    assert any("provisioning → active" in r for r in status_rows)
    assert any("new → pending" in r or "pending → provisioning" in r for r in status_rows)


def test_another_tenants_subscription_is_not_found(client: TestClient, other_admin: StaffUser,
                                                   session: Session, settings: Settings,
                                                   tenant: Tenant) -> None:
    sub = make_subscription(session, settings, tenant, status=SubscriptionStatus.ACTIVE)
    live = session_row(session, make_nas(session, settings, tenant), sub)
    sign_in(client, other_admin.user.email, other_admin.password)
    assert client.get(f"/admin/subscriptions/{sub.id}").status_code == 404
    assert client.get(f"/admin/subscriptions/{sub.id}/password").status_code == 404
    page = client.get("/admin")
    token = csrf_of(page.text)
    gone = client.post(f"/admin/subscriptions/{sub.id}/sessions/{live.radacctid}/disconnect",
                       data={"csrf_token": token})
    assert gone.status_code == 404
    assert session.query(CoaRequest).count() == 0


def test_ticket_page_names_its_subscription(client: TestClient, admin: StaffUser,
                                            session: Session, settings: Settings,
                                            tenant: Tenant) -> None:
    from tests.modules.support.factories import open_ticket

    sub = make_subscription(session, settings, tenant, radius_username="ticket-sub")
    ticket = open_ticket(session, tenant, utcnow(), customer=None, subscription_id=sub.id,
                         **{"customer_id": sub.customer_id})
    sign_in(client, admin.user.email, admin.password)
    page = client.get(f"/admin/support/tickets/{ticket.id}").text
    assert f'<a href="/admin/subscriptions/{sub.id}" data-testid="ticket-subscription">' \
           f'ticket-sub</a>' in page
