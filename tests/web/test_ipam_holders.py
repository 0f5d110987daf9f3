"""IPAM pages name an address's holder by customer and username, both linked (over HTTP)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.services.enums import SubscriptionStatus
from tests.modules.network.ipam.factories import make_pool, take
from tests.support.customers import make_customer, make_subscription
from tests.support.factories import StaffUser
from tests.web.billing_support import visible
from tests.web.test_admin_pages import sign_in


def _holders(html: str) -> list[str]:
    return re.findall(r'<span data-testid="holder">(.*?)</span>(?:</td>| )', html, re.S)


def test_pool_and_search_show_customer_and_username_linked(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant) -> None:
    customer = make_customer(session, tenant, first_name="Kemi", last_name="Bello")
    sub = make_subscription(session, settings, tenant, customer=customer,
                            status=SubscriptionStatus.ACTIVE, radius_username="kemi-home")
    pool = make_pool(session, tenant, "100.64.50.0/29", name="holders")
    take(session, pool, "100.64.50.2", holder_id=sub.id)
    take(session, pool, "100.64.50.3", description="router loopback")  # not a subscription
    sign_in(client, admin.user.email, admin.password)
    for url in (f"/admin/ipam/pools/{pool.id}", "/admin/ipam/search?q=100.64.50.2"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert f'<a href="/admin/customers/{customer.id}">Kemi Bello</a>' in page.text, url
        assert f'<a href="/admin/subscriptions/{sub.id}">kemi-home</a>' in page.text, url
        assert f"subscription <span class=\"muted\">{sub.id}" not in page.text, url
    pool_page = visible(client.get(f"/admin/ipam/pools/{pool.id}").text)
    assert f"Kemi Bello {customer.number} · kemi-home" in pool_page
    assert "other router loopback" in pool_page
    history = client.get("/admin/ipam/search", params={"q": "100.64.50.2"}).text
    rows = re.findall(r'data-testid="search-history">(.*?)</tr>', history, re.S)
    assert rows and "kemi-home" in rows[0]


def test_another_tenants_holder_is_never_named(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant, other_tenant: Tenant) -> None:
    stranger = make_subscription(session, settings, other_tenant,
                                 customer=make_customer(session, other_tenant,
                                                        last_name="Stranger"),
                                 radius_username="stranger-sub")
    pool = make_pool(session, tenant, "100.64.51.0/29", name="mixed")
    # a row whose holder id points at another tenant's subscription (bad data) stays anonymous
    take(session, pool, "100.64.51.2", holder_id=stranger.id)
    sign_in(client, admin.user.email, admin.password)
    page = client.get(f"/admin/ipam/pools/{pool.id}").text
    assert "Stranger" not in page and "stranger-sub" not in page
    assert str(stranger.id) in page  # shown as the bare holder id it is
