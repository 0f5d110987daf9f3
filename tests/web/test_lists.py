"""Console lists at scale: sorting, filters kept in the URL, page sizes, CSV of exactly what
the filters show, bulk actions behind one confirmation, and the global search."""

from __future__ import annotations

import csv
import io
import re
import uuid

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.identity.models import AuditLog, Tenant
from dotmac_isp.modules.network.radius import nas as nas_service
from dotmac_isp.modules.network.radius import schemas as radius_schemas
from dotmac_isp.modules.network.radius.models import CoaRequest, RadAcct
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.modules.services.models import Subscription
from dotmac_isp.shared.types import utcnow
from tests.support.customers import make_customer, make_plan, make_subscription
from tests.support.factories import StaffUser
from tests.web.test_admin_pages import csrf_of, sign_in


def _numbers(html: str) -> list[str]:
    return re.findall(r'<tr data-number="([^"]+)"', html)


def _usernames(html: str) -> list[str]:
    return re.findall(r'<tr data-username="([^"]+)"', html)


def test_customer_list_sorts_by_whitelisted_keys_with_a_stable_order(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    for last in ("Zeta", "Alpha", "Mid", "Alpha"):
        make_customer(session, tenant, last_name=last)
    sign_in(client, admin.user.email, admin.password)
    ascending = _numbers(client.get("/admin/customers").text)
    assert ascending == sorted(ascending) and len(ascending) == 4
    assert _numbers(client.get("/admin/customers", params={"sort": "-number"}).text) == \
        list(reversed(ascending))
    by_name = client.get("/admin/customers", params={"sort": "name"}).text
    names = re.findall(r'<td><a href="/admin/customers/[^"]+">C\d+</a></td>\s*<td>([^<]+)</td>',
                       by_name)
    assert [n.split()[-1] for n in names] == ["Alpha", "Alpha", "Mid", "Zeta"]
    again = client.get("/admin/customers", params={"sort": "name"}).text
    assert _numbers(again) == _numbers(by_name)  # equal names keep one order (tie by id)
    # an unknown sort key (a column name an attacker might try) falls back to the default
    sneaky = client.get("/admin/customers", params={"sort": "password_hash"})
    assert sneaky.status_code == 200 and _numbers(sneaky.text) == ascending


def test_filters_stay_in_the_url_of_sort_page_and_export_links(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    for n in range(30):
        make_customer(session, tenant, last_name=f"Okafor{n:02d}", tags=["fibre"])
    make_customer(session, tenant, last_name="Okafor-untagged")
    sign_in(client, admin.user.email, admin.password)
    page = client.get("/admin/customers", params={"q": "okafor", "tag": "fibre",
                                                  "sort": "-number"}).text
    assert len(_numbers(page)) == 25 and "Okafor-untagged" not in page
    links = [a.replace("&amp;", "&") for a in re.findall(r'href="(/admin/customers[^"]*)"', page)]
    next_link = next(u for u in links if "cursor=" in u)
    assert "q=okafor" in next_link and "tag=fibre" in next_link and "sort=-number" in next_link
    sort_link = next(u for u in links if "sort=email" in u)
    assert "q=okafor" in sort_link and "tag=fibre" in sort_link
    export = next(u for u in links if "/export.csv" in u)
    assert "q=okafor" in export and "tag=fibre" in export
    second = client.get(next_link).text
    assert len(_numbers(second)) == 5
    assert set(_numbers(second)).isdisjoint(_numbers(page))
    bigger = client.get("/admin/customers", params={"q": "okafor", "tag": "fibre", "size": 50})
    assert len(_numbers(bigger.text)) == 30
    odd = client.get("/admin/customers", params={"size": "7", "cursor": "not-a-cursor"})
    assert odd.status_code == 200  # an unknown size or a damaged cursor falls back
    assert _numbers(odd.text) == _numbers(client.get("/admin/customers").text)


def test_csv_export_holds_exactly_the_filtered_rows(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant, other_tenant: Tenant) -> None:
    plan = make_plan(session, tenant, name="Fibre 100")
    subs = [make_subscription(session, settings, tenant, plan=plan,
                              status=SubscriptionStatus.ACTIVE) for _ in range(3)]
    make_subscription(session, settings, tenant, plan=plan)  # pending: filtered out
    make_subscription(session, settings, other_tenant, status=SubscriptionStatus.ACTIVE)
    make_customer(session, tenant, first_name="=HYPERLINK(\"x\")", last_name="Q")
    sign_in(client, admin.user.email, admin.password)
    response = client.get("/admin/subscriptions/export.csv",
                          params={"status": "active", "sort": "username"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["radius_username", "plan", "status", "status_since", "created_at"]
    assert [r[0] for r in rows[1:]] == sorted(s.radius_username for s in subs)
    assert {r[1] for r in rows[1:]} == {"Fibre 100"} and {r[2] for r in rows[1:]} == {"active"}
    people = list(csv.reader(io.StringIO(client.get(
        "/admin/customers/export.csv", params={"q": "hyperlink"}).text)))
    assert len(people) == 2 and people[1][1].startswith("'=")  # no formula runs in a sheet


def _open_session(session: Session, tenant: Tenant, nas_id: uuid.UUID, sub: Subscription,
                  ip: str) -> None:
    session.add(RadAcct(tenant_id=tenant.id, acctsessionid=f"S-{uuid.uuid4().hex[:6]}",
                        acctuniqueid=uuid.uuid4().hex, username=sub.radius_username,
                        nasipaddress="198.51.100.1", framedipaddress=ip,
                        callingstationid="AA-BB-CC-00-11-22", acctstarttime=utcnow(),
                        nas_id=nas_id, subscription_id=sub.id))
    session.flush()


def _nas(session: Session, settings: Settings, tenant: Tenant) -> uuid.UUID:
    nas, _secret = nas_service.create_nas(session, settings, tenant.id, radius_schemas.NasCreate(
        name="bng-1", address="198.51.100.1", secret="a-shared-secret"))
    return nas.id


def test_bulk_suspend_of_three_subscriptions_queues_their_coa(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant, other_tenant: Tenant) -> None:
    nas_id = _nas(session, settings, tenant)
    subs = [make_subscription(session, settings, tenant, status=SubscriptionStatus.ACTIVE)
            for _ in range(3)]
    for n, sub in enumerate(subs):
        _open_session(session, tenant, nas_id, sub, f"100.64.0.{n + 10}")
    foreign = make_subscription(session, settings, other_tenant,
                                status=SubscriptionStatus.ACTIVE)
    ids = [str(s.id) for s in subs] + [str(foreign.id)]
    sign_in(client, admin.user.email, admin.password)
    confirm = client.get("/admin/subscriptions/bulk",
                         params={"action": "suspend", "ids": ids, "status": "active"})
    assert confirm.status_code == 200
    assert 'data-testid="bulk-count"><strong>3</strong> subscriptions' in confirm.text
    assert str(foreign.id) not in confirm.text and "1 of the ticked rows" in confirm.text
    form = {"csrf_token": csrf_of(confirm.text), "action": "suspend", "ids": ids,
            "back": "/admin/subscriptions?status=active"}
    no_reason = client.post("/admin/subscriptions/bulk", data={**form, "reason": ""})
    assert no_reason.status_code == 422 and "give a reason" in no_reason.text
    done = client.post("/admin/subscriptions/bulk", data={**form, "reason": "unpaid May"},
                       follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == "/admin/subscriptions?status=active"
    session.expire_all()
    assert {session.get(Subscription, s.id).status for s in subs} == {"suspended"}  # type: ignore[union-attr]
    assert session.get(Subscription, foreign.id).status == "active"  # type: ignore[union-attr]
    queued = session.scalars(select(CoaRequest).where(CoaRequest.tenant_id == tenant.id)).all()
    assert sorted(r.username for r in queued) == sorted(s.radius_username for s in subs)
    assert {r.kind for r in queued} == {"disconnect"}
    assert not session.scalars(select(CoaRequest).where(
        CoaRequest.tenant_id == other_tenant.id)).all()
    audited = session.scalars(select(AuditLog).where(
        AuditLog.entity_id.in_([str(s.id) for s in subs]))).all()
    assert {a.entity_id for a in audited} == {str(s.id) for s in subs}
    listing = client.get("/admin/subscriptions", params={"status": "suspended"}).text
    assert "Suspend: 3 subscriptions done." in listing
    assert sorted(_usernames(listing)) == sorted(s.radius_username for s in subs)


def test_bulk_tag_of_customers_ignores_another_tenants_ids(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant,
        other_tenant: Tenant) -> None:
    mine = [make_customer(session, tenant) for _ in range(2)]
    theirs = make_customer(session, other_tenant)
    ids = [str(c.id) for c in [*mine, theirs]]
    sign_in(client, admin.user.email, admin.password)
    confirm = client.get("/admin/customers/bulk", params={"action": "tag", "ids": ids})
    assert "<strong>2</strong> customers" in confirm.text and str(theirs.id) not in confirm.text
    done = client.post("/admin/customers/bulk", data={
        "csrf_token": csrf_of(confirm.text), "action": "tag", "ids": ids, "tag": "VIP"},
        follow_redirects=True)
    assert "Tagged 2 customers" in done.text
    session.expire_all()
    assert [session.get(Customer, c.id).tags for c in mine] == [["vip"], ["vip"]]  # type: ignore[union-attr]
    assert session.get(Customer, theirs.id).tags == []  # type: ignore[union-attr]


def test_global_search_finds_by_ip_mac_and_number_within_the_tenant(
        client: TestClient, admin: StaffUser, other_admin: StaffUser, session: Session,
        settings: Settings, tenant: Tenant) -> None:
    nas_id = _nas(session, settings, tenant)
    sub = make_subscription(session, settings, tenant, status=SubscriptionStatus.ACTIVE,
                            customer=make_customer(session, tenant, last_name="Eze"))
    _open_session(session, tenant, nas_id, sub, "100.64.7.9")
    sign_in(client, admin.user.email, admin.password)
    by_ip = client.get("/admin/search", params={"q": "100.64.7.9"}).text
    assert "Eze" in by_ip and f"/admin/customers/{sub.customer_id}" in by_ip
    assert "Eze" in client.get("/admin/search", params={"q": "aa-bb-cc-00-11-22"}).text
    assert "Eze" in client.get("/admin/search", params={"q": sub.radius_username}).text
    empty = client.get("/admin/search", params={"q": "   "})
    assert empty.status_code == 200 and "search-group" not in empty.text
    client.post("/admin/logout", data={"csrf_token": csrf_of(by_ip)})
    sign_in(client, other_admin.user.email, other_admin.password)
    elsewhere = client.get("/admin/search", params={"q": "100.64.7.9"}).text
    assert "Eze" not in elsewhere
    assert "Eze" not in client.get("/admin/search", params={"q": sub.radius_username}).text
