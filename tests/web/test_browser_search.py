"""Real browser: the global search finds the subscriber who holds an IP address."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from dotmac_isp.config import Settings
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.network.ipam.models import Allocation
from dotmac_isp.modules.services.models import Subscription
from tests.support.browser import browser_page
from tests.support.live_server import LiveServer, live_server
from tests.web.test_browser_business import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(settings: Settings, demo_sqlite_file: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(settings, tmp_path_factory.mktemp("search"),
                     demo_file=demo_sqlite_file) as live:
        yield live


def test_search_by_ip_address_finds_the_subscriber(server: LiveServer) -> None:
    with server.database.unit_of_work(write=False) as session:
        address, number = session.execute(
            select(Allocation.address, Customer.number)
            .join(Subscription, Subscription.id == Allocation.holder_id)
            .join(Customer, Customer.id == Subscription.customer_id)
            .where(Allocation.holder_type == "subscription", Allocation.status == "allocated",
                   Allocation.family == 4)
            .order_by(Allocation.address).limit(1)).one()
    with browser_page() as page:
        sign_in(page, server)
        page.goto(f"{server.url}/admin/search")
        page.fill("#search-q", address)
        page.press("#search-q", "Enter")
        page.wait_for_url(f"**/admin/search?q={address}")
        customers = page.locator("[data-group=customers] li a")
        assert customers.count() == 1
        assert customers.first.inner_text().startswith(number)
        customers.first.click()
        page.wait_for_url("**/admin/customers/*")
        assert number in page.content()
