"""The IPAM staff pages over HTTP: the tree, a pool, the search, and who may see them."""

from __future__ import annotations

import re
import uuid

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.ipam.enums import PoolKind
from tests.modules.network.ipam.factories import make_pool, make_prefix, make_vrf, take
from tests.support.factories import StaffUser, make_user


def _sign_in(client: TestClient, staff: StaffUser) -> None:
    page = client.get("/admin/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    response = client.post("/admin/login", data={
        "csrf_token": token.group(1), "email": staff.user.email, "password": staff.password,
        "next": "/admin"}, follow_redirects=False)
    assert response.status_code == 303


def _rows(html: str) -> list[tuple[str, str]]:
    return re.findall(r'data-network="([^"]+)" data-depth="(\d+)"', html)


def test_tree_page_nests_prefixes_with_utilization(client: TestClient, session: Session,
                                                   tenant: Tenant, admin: StaffUser) -> None:
    make_prefix(session, tenant, "100.64.0.0/10")
    pool = make_pool(session, tenant, "100.64.0.0/29", name="cgnat-a", threshold=50)
    for _ in range(4):
        take(session, pool)
    make_prefix(session, tenant, "2001:db8::/32")
    vrf = make_vrf(session, tenant, "mgmt")
    make_prefix(session, tenant, "10.0.0.0/8", vrf=vrf)
    session.flush()
    _sign_in(client, admin)

    page = client.get("/admin/ipam")
    assert page.status_code == 200
    assert _rows(page.text) == [("100.64.0.0/10", "0"), ("100.64.0.0/29", "1"),
                                ("2001:db8::/32", "0"), ("10.0.0.0/8", "0")]
    assert f'href="/admin/ipam/pools/{pool.id}"' in page.text
    assert 'data-percent="66.67"' in page.text  # 4 of 6 usable
    assert "ipam-usage over" in page.text  # above its 50% threshold
    assert "pool cgnat-a (100.64.0.0/29): 3 of 6 addresses in use" in page.text  # the alert
    assert "<h2>mgmt" in page.text
    assert 'href="/admin/ipam">IP addresses</a>' in page.text  # the nav link


def test_pool_page_lists_allocations(client: TestClient, session: Session, tenant: Tenant,
                                     admin: StaffUser) -> None:
    pool = make_pool(session, tenant, "2001:db8:1000::/48", name="pd-1",
                     kind=PoolKind.DELEGATION, delegated_length=56)
    holder = uuid.uuid4()
    take(session, pool, holder_id=holder)
    session.flush()
    _sign_in(client, admin)
    page = client.get(f"/admin/ipam/pools/{pool.id}")
    assert page.status_code == 200
    assert "IPv6 /56 prefixes (delegation)" in page.text
    assert "2001:db8:1000::/56" in page.text and str(holder) in page.text
    assert "1 of 256 prefixes" in page.text
    assert client.get(f"/admin/ipam/pools/{uuid.uuid4()}").status_code == 404


def test_search_finds_holder_and_history_and_serves_htmx_fragments(
        client: TestClient, session: Session, tenant: Tenant, admin: StaffUser) -> None:
    pool = make_pool(session, tenant, "192.0.2.0/24", name="edge")
    holder = uuid.uuid4()
    take(session, pool, "192.0.2.44", holder_id=holder)
    session.flush()
    _sign_in(client, admin)
    page = client.get("/admin/ipam/search", params={"q": "192.0.2.44"})
    assert page.status_code == 200 and "<html" in page.text
    assert page.text.count('data-testid="search-allocation"') == 1
    assert page.text.count('data-testid="search-history"') == 1
    assert str(holder) in page.text and "192.0.2.0/24" in page.text
    fragment = client.get("/admin/ipam/search", params={"q": "192.0.2.0/25"},
                          headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and "192.0.2.44/32" in fragment.text
    bad = client.get("/admin/ipam/search", params={"q": "192.0.2.999"})
    assert "is not a valid IPv4 or IPv6 address" in bad.text


def test_pages_need_sign_in_and_network_read(client: TestClient, session: Session,
                                             settings: Settings, tenant: Tenant) -> None:
    assert client.get("/admin/ipam", follow_redirects=False).headers["location"] == \
        "/admin/login?next=/admin/ipam"
    clerk = make_user(session, settings, tenant, "billing")
    _sign_in(client, clerk)
    refused = client.get("/admin/ipam")
    assert refused.status_code == 403 and "network:read" in refused.text


def test_tenant_b_sees_none_of_tenant_a(client: TestClient, session: Session, tenant: Tenant,
                                        other_admin: StaffUser) -> None:
    pool = make_pool(session, tenant, "198.51.100.0/24", name="tenant-a-secret")
    take(session, pool, "198.51.100.9")
    session.flush()
    _sign_in(client, other_admin)
    assert "198.51.100.0/24" not in client.get("/admin/ipam").text
    assert client.get(f"/admin/ipam/pools/{pool.id}").status_code == 404
    assert "198.51.100.9/32" not in client.get("/admin/ipam/search",
                                               params={"q": "198.51.100.9"}).text
