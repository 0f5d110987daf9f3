"""An operator's day in a real browser: sign in, read the dashboard, take on a customer,
sell and activate a service, collect the invoice it issues, and see the dashboard move; then
suspend three subscriptions at once from the list after one confirmation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from dotmac_isp.config import Settings
from dotmac_isp.modules.services.enums import SubscriptionStatus
from tests.modules.billing.helpers import configure
from tests.support.browser import browser_page
from tests.support.customers import make_plan, make_subscription
from tests.support.factories import make_tenant, make_user
from tests.support.live_server import LiveServer, live_server
from tests.web.billing_support import pay

pytestmark = pytest.mark.browser
CONFIRM = "form[action*=confirm] button[type=submit]"
CUSTOMER_PAGE = re.compile(r".*/admin/customers/[0-9a-f-]{36}$")
PAYMENT_PAGE = re.compile(r".*/admin/payments/[0-9a-f-]{36}$")
SUBSCRIPTION_PAGE = re.compile(r".*/admin/subscriptions/[0-9a-f-]{36}$")


@dataclass
class Seeded:
    server: LiveServer
    email: str
    password: str
    plan_id: str
    bulk_usernames: list[str]
    foreign_plan: str  # usernames follow customer numbers, so tenants share them


@pytest.fixture(scope="module")
def seeded(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    with live_server(settings, tmp_path_factory.mktemp("operator-day")) as live:
        with live.database.unit_of_work() as session:
            tenant = make_tenant(session, "day-net", name="Day Net")
            staff = make_user(session, live.settings, tenant, "admin",
                              email="operator@day-net.example")
            configure(session, tenant)  # prepaid, issued at once: activation bills today
            plan = make_plan(session, tenant, name="Fibre 100", price=Decimal("30.00"),
                             setup_fee=Decimal("25.00"))
            # A working tenant: some live subscribers and money already in this month.
            active = [make_subscription(session, live.settings, tenant, plan=plan,
                                        status=SubscriptionStatus.ACTIVE) for _ in range(5)]
            pay(session, tenant, active[0].customer_id, "12.34", on=_today(tenant.timezone))
            other = make_tenant(session, "other-net", name="Other Net")
            other_plan = make_plan(session, other)
            # Another tenant's subscribers and money never count nor show.
            foreign = [make_subscription(session, live.settings, other, plan=other_plan,
                                         status=SubscriptionStatus.ACTIVE) for _ in range(2)]
            pay(session, other, foreign[0].customer_id, "500.00", on=_today(other.timezone))
            made = Seeded(live, staff.user.email, staff.password, str(plan.id),
                          [s.radius_username for s in active[1:4]],
                          other_plan.name)
        yield made


def _today(timezone: str) -> date:
    return datetime.now(ZoneInfo(timezone)).date()


def sign_in(page, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{seeded.server.url}/admin/login")
    page.fill("#email", seeded.email)
    page.fill("#password", seeded.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{seeded.server.url}/admin")


def figures(page) -> tuple[int, Decimal]:  # type: ignore[no-untyped-def]
    """The dashboard's "active" subscriber count and "collected this month" amount, as shown."""
    active = page.locator("[data-testid=fig-subs-active] .figure-value")
    count = int(active.inner_text()) if active.count() else 0
    collected = page.locator("[data-testid=fig-collected-this-month] .figure-value").inner_text()
    amount, currency = collected.split()
    assert currency == "USD"
    return count, Decimal(amount)


def shown_money(text: str) -> Decimal:
    amount, currency = text.split()
    assert currency == "USD"
    return Decimal(amount.replace(",", ""))


def test_a_new_customer_activated_and_paid_moves_the_dashboard(seeded: Seeded) -> None:
    with browser_page() as page:
        sign_in(page, seeded)
        assert page.locator("[data-testid=tenant-name]").inner_text() == "Day Net"
        active_before, collected_before = figures(page)
        assert active_before in (5, 2)  # 2 once the bulk suspend has run
        assert collected_before == Decimal("12.34")

        page.goto(f"{seeded.server.url}/admin/customers/new")
        page.fill("#first_name", "Ada")
        page.fill("#last_name", "Operator")
        page.fill("#email", "ada@home.example")
        page.fill("#line1", "1 Fibre Street")
        page.fill("#city", "Lagos")
        page.fill("#country", "NG")
        page.click("form[action='/admin/customers/new'] button[type=submit]")
        page.wait_for_url(CUSTOMER_PAGE)
        assert "created" in page.locator(".flash").inner_text()
        assert "Ada Operator" in page.locator("h1").inner_text()
        customer_number = page.locator("h1 .muted").inner_text()
        customer_url = page.url

        page.select_option("#new-plan", seeded.plan_id)
        page.click("form[action='/admin/subscriptions/new'] button[type=submit]")
        page.wait_for_url(SUBSCRIPTION_PAGE)
        assert page.locator("[data-testid=plan-name]").inner_text() == "Fibre 100"
        assert page.locator("h1 [data-status]").inner_text() == "pending"

        subscription_path = "/admin/subscriptions/" + page.url.rsplit("/", 1)[1]
        page.click("[data-action=activate]")
        page.wait_for_url("**/confirm?action=activate")
        page.click(CONFIRM)
        page.wait_for_url(SUBSCRIPTION_PAGE)
        assert page.locator("h1 [data-status]").inner_text() == "active"

        page.goto(customer_url)
        page.click("dd >> text=Invoices")
        page.wait_for_url("**/admin/invoices?customer_id=*")
        rows = page.locator("[data-testid=invoice-table] tbody tr")
        assert rows.count() == 1
        assert customer_number in rows.first.inner_text()
        page.click("[data-testid=invoice-table] tbody a >> nth=0")
        page.wait_for_url("**/admin/invoices/*")
        assert page.locator("h1 .badge").inner_text() == "issued"
        due = shown_money(page.locator("[data-testid=balance-due]").inner_text())
        assert due >= Decimal("25.00")  # the setup fee, plus the first (prorated) month
        assert "Setup: Fibre 100" in page.content()
        invoice_url = page.url

        page.click("a[data-action=record-payment]")
        page.wait_for_url("**/admin/payments/new*")
        page.select_option("#method", "cash")
        page.fill("#amount", str(due))
        page.click("button[data-action=record-payment]")
        page.wait_for_url(PAYMENT_PAGE)
        assert "recorded" in page.locator(".flash").inner_text()
        page.goto(invoice_url)
        assert page.locator("h1 .badge").inner_text() == "paid"
        assert shown_money(page.locator("[data-testid=balance-due]").inner_text()) == 0

        page.click("nav >> text=Overview")
        page.wait_for_url(f"{seeded.server.url}/admin")
        active_after, collected_after = figures(page)
        assert active_after == active_before + 1
        assert collected_after == collected_before + due

        # "new this month" opens the subscriptions activated since the 1st: the one just
        # activated among them, as many rows as the figure says
        new_count = int(page.locator("[data-testid=fig-new-this-month] .figure-value")
                        .inner_text())
        page.click("[data-testid=fig-new-this-month]")
        page.wait_for_url("**/admin/subscriptions?activated_from=*")
        rows = page.locator("[data-testid=subscription-list] tbody tr[data-username]")
        assert rows.count() == new_count >= 1
        assert page.locator(f"[data-testid=subscription-list] a[href='{subscription_path}']"
                            ).count() == 1
        assert page.input_value("#activated_from").endswith("-01")


def test_bulk_suspend_three_subscriptions_after_one_confirmation(seeded: Seeded) -> None:
    chosen = seeded.bulk_usernames
    with browser_page() as page:
        sign_in(page, seeded)
        page.goto(f"{seeded.server.url}/admin/subscriptions?status=active&size=100")
        listed = page.locator("[data-testid=subscription-list] tbody tr[data-username]")
        assert listed.count() >= 5
        assert seeded.foreign_plan not in page.content()
        for username in chosen:
            page.check(f"tr[data-username='{username}'] input[type=checkbox]")
        page.select_option("#bulk-form-action", "suspend")
        page.click("[data-testid=bulk-bar] button[type=submit]")
        page.wait_for_url("**/admin/subscriptions/bulk*")
        assert page.locator("[data-testid=bulk-confirm] h1").inner_text() \
            == "Suspend 3 subscriptions?"
        assert page.locator("[data-testid=bulk-count]").inner_text().startswith(
            "3 subscriptions will be changed.")
        listed_rows = page.locator(".bulk-rows li").all_inner_texts()
        assert sorted(r.split()[0] for r in listed_rows) == sorted(chosen)
        page.fill("#bulk-reason", "cable cut on Fibre Street")
        page.click("[data-testid=bulk-confirm] button[type=submit]")
        page.wait_for_url("**/admin/subscriptions?*")
        assert "Suspend: 3 subscriptions done." in page.locator(".flash").inner_text()

        page.goto(f"{seeded.server.url}/admin/subscriptions?status=suspended&size=100")
        suspended = page.locator("[data-testid=subscription-list] tbody tr[data-username]")
        names = [suspended.nth(i).get_attribute("data-username")
                 for i in range(suspended.count())]
        assert sorted(n or "" for n in names) == sorted(chosen)
        for username in chosen:
            page.click(f"tr[data-username='{username}'] a")
            page.wait_for_url(SUBSCRIPTION_PAGE)
            assert page.locator("h1 [data-status]").inner_text() == "suspended"
            assert "cable cut on Fibre Street" in \
                page.locator("[data-testid=history-table]").inner_text()
            page.go_back()
