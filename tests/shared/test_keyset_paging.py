"""Big lists page by key: has-more and cursors, no COUNT(*), offsets capped with a 422."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import AuditLog, Tenant
from dotmac_isp.modules.network.radius.models import RadAcct, RadPostAuth
from dotmac_isp.shared.types import utcnow
from tests.support.customers import make_subscription
from tests.support.factories import StaffUser
from tests.web.test_admin_pages import sign_in

API = "/api/v1"


def _sessions(
    session: Session, settings: Settings, tenant: Tenant, count: int, user: str = "pager"
) -> list[int]:
    """Sessions newest first; two share a start time, so the id must break the tie."""
    sub = make_subscription(session, settings, tenant)
    base = utcnow().replace(microsecond=0) - timedelta(days=1)
    ids = []
    for i in range(count):
        start = base + timedelta(minutes=min(i, count - 2))
        row = RadAcct(
            tenant_id=tenant.id,
            acctsessionid=f"P-{i}",
            acctuniqueid=uuid.uuid4().hex,
            username=user,
            nasipaddress="198.51.100.1",
            acctstarttime=start,
            acctstoptime=start + timedelta(seconds=30),
            subscription_id=sub.id,
        )
        session.add(row)
        session.flush()
        ids.append(row.radacctid)
    return sorted(ids, reverse=True)


def _walk(client: TestClient, admin: StaffUser, url: str, key: str) -> list[Any]:
    seen: list[Any] = []
    cursor = None
    for _ in range(20):
        sep = "&" if "?" in url else "?"
        page = client.get(url + (f"{sep}cursor={cursor}" if cursor else ""), headers=admin.headers)
        assert page.status_code == 200, page.text
        body = page.json()
        assert body["total"] is None
        seen.extend(item[key] for item in body["items"])
        assert body["has_more"] == (body["next_cursor"] is not None)
        if not body["has_more"]:
            return seen
        cursor = body["next_cursor"]
    raise AssertionError("the cursor never reached the end")


def test_session_list_pages_by_key_without_counting(
    client: TestClient,
    admin: StaffUser,
    session: Session,
    settings: Settings,
    tenant: Tenant,
    statements: list[str],
) -> None:
    expected = _sessions(session, settings, tenant, 7)
    statements.clear()
    walked = _walk(client, admin, f"{API}/radius/sessions?username=pager&limit=3", "radacctid")
    assert walked == expected
    assert not [s for s in statements if re.search(r"\bcount\(", s.lower())]


def test_previous_cursor_goes_back_to_the_page_before(
    client: TestClient, admin: StaffUser, session: Session, settings: Settings, tenant: Tenant
) -> None:
    expected = _sessions(session, settings, tenant, 7)
    url = f"{API}/radius/sessions?username=pager&limit=3"
    first = client.get(url, headers=admin.headers).json()
    assert first["prev_cursor"] is None and first["has_more"]
    second = client.get(f"{url}&cursor={first['next_cursor']}", headers=admin.headers).json()
    assert [s["radacctid"] for s in second["items"]] == expected[3:6]
    back = client.get(f"{url}&cursor={second['prev_cursor']}", headers=admin.headers).json()
    assert [s["radacctid"] for s in back["items"]] == expected[:3]
    assert back["has_more"] and back["prev_cursor"] is None


def test_a_cursor_reads_only_the_callers_tenant(
    client: TestClient,
    admin: StaffUser,
    other_admin: StaffUser,
    session: Session,
    settings: Settings,
    tenant: Tenant,
    other_tenant: Tenant,
) -> None:
    _sessions(session, settings, tenant, 4)
    theirs = _sessions(session, settings, other_tenant, 4)
    first = client.get(f"{API}/radius/sessions?limit=2", headers=admin.headers).json()
    other = client.get(
        f"{API}/radius/sessions?limit=10&cursor={first['next_cursor']}", headers=other_admin.headers
    ).json()
    assert {s["radacctid"] for s in other["items"]} <= set(theirs)


def test_post_auth_and_audit_log_page_by_key(
    client: TestClient, admin: StaffUser, session: Session, tenant: Tenant, statements: list[str]
) -> None:
    now = utcnow()
    for i in range(5):
        session.add(
            RadPostAuth(
                tenant_id=tenant.id,
                username="walker",
                reply="Access-Accept",
                authdate=now - timedelta(minutes=i),
            )
        )
        session.add(
            AuditLog(
                tenant_id=tenant.id,
                actor_type="system",
                action="update",
                entity_type="pager-test",
                entity_id=str(i),
                created_at=now - timedelta(minutes=i // 2),
            )
        )
    session.flush()
    statements.clear()
    users = _walk(client, admin, f"{API}/radius/post-auth?username=walker&limit=2", "id")
    audit = _walk(client, admin, f"{API}/audit-log?entity_type=pager-test&limit=2", "entity_id")
    assert len(users) == 5 and users == sorted(users)  # newest first: inserted first
    assert sorted(audit) == ["0", "1", "2", "3", "4"]
    assert not [s for s in statements if re.search(r"\bcount\(", s.lower())]


@pytest.mark.parametrize(
    "url", ["/radius/sessions", "/radius/post-auth", "/audit-log", "/customers", "/invoices"]
)
def test_offsets_past_the_cap_are_refused_with_a_pointer_to_the_cursor(
    client: TestClient, admin: StaffUser, url: str
) -> None:
    response = client.get(f"{API}{url}?offset=10001", headers=admin.headers)
    assert response.status_code == 422
    assert "cursor" in response.json()["detail"]
    assert client.get(f"{API}{url}?offset=10000", headers=admin.headers).status_code == 200


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "eyJrIjpbMV0sImQiOiJuIn0",  # one key of two
        "eyJrIjpbIngiLCJ5Il0sImQiOiJuIn0",
    ],
)  # keys of wrong type
def test_a_bad_cursor_is_a_422(client: TestClient, admin: StaffUser, cursor: str) -> None:
    response = client.get(f"{API}/radius/sessions?cursor={cursor}", headers=admin.headers)
    assert response.status_code == 422
    assert "cursor is not valid" in response.json()["detail"]


def test_a_cursor_on_a_counted_list_is_refused(client: TestClient, admin: StaffUser) -> None:
    response = client.get(f"{API}/customers?cursor=abc", headers=admin.headers)
    assert response.status_code == 422 and "offset" in response.json()["detail"]


def test_history_page_next_and_previous_follow_the_cursor(
    client: TestClient, admin: StaffUser, session: Session, settings: Settings, tenant: Tenant
) -> None:
    ids = _sessions(session, settings, tenant, 30)
    sign_in(client, admin.user.email, admin.password)

    def shown(html: str) -> list[int]:
        return [int(x) for x in re.findall(r'data-session="(\d+)"', html)]

    first = client.get("/admin/radius/history?q=pager").text
    assert shown(first) == ids[:25]
    next_link = re.search(r'href="([^"]*cursor=[^"]+)">Next', first)
    assert next_link and "Previous" not in first
    second = client.get(next_link.group(1).replace("&amp;", "&")).text
    assert shown(second) == ids[25:]
    prev_link = re.search(r'href="([^"]*cursor=[^"]+)">Previous', second)
    assert prev_link and ">Next<" not in second
    assert shown(client.get(prev_link.group(1).replace("&amp;", "&")).text) == ids[:25]
    bad = client.get("/admin/radius/history?cursor=garbage")
    assert bad.status_code == 422 and "cursor is not valid" in bad.text
