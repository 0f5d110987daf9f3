"""Buying a voucher on the captive portal through Stripe Checkout. Stripe cannot be reached
from the machines these tests run on, so its stand-in listens on loopback (tests/support/
stripe_stand_in.py); webhooks are signed the way Stripe signs them."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlsplit

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.hotspot.models import Voucher, VoucherPlan, VoucherPurchase
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.notifications.models import Delivery
from tests.modules.billing.gateways.world import Shop, shop
from tests.modules.hotspot.support import make_voucher_plan
from tests.support.factories import make_tenant
from tests.web.form_support import assert_beside
from tests.web.test_admin_pages import csrf_of

__all__ = ["shop"]
BUYER = "Walk.In@Cafe.example"


def _plan(shop: Shop) -> VoucherPlan:
    return make_voucher_plan(shop.session, shop.tenant, name="Day pass",
                             price=Decimal("2.50"), currency="USD")


def _buy(client: TestClient, base: str, plan: VoucherPlan, email: str = BUYER) -> httpx.Response:
    page = client.get(f"{base}/buy")
    assert page.status_code == 200, page.text
    return client.post(f"{base}/buy", data={"csrf_token": csrf_of(page.text),
                                            "plan_id": str(plan.id), "email": email},
                       follow_redirects=False)


def _paid(shop: Shop, plan: VoucherPlan) -> str:
    """Buy the plan on the default site's portal and pay on the hosted page: the path the
    browser is sent back to."""
    started = _buy(shop.client, f"/hotspot/{shop.tenant.slug}/default", plan)
    assert started.status_code == 303, started.text
    hosted = str(started.headers["location"])
    assert hosted.startswith(shop.stripe.base_url)
    paid = httpx.post(hosted, follow_redirects=False)
    assert paid.status_code == 303
    return urlsplit(str(paid.headers["location"])).path


def _vouchers_of(session: Session, tenant: Tenant) -> list[Voucher]:
    session.expire_all()
    return list(session.scalars(select(Voucher).where(Voucher.tenant_id == tenant.id)))


def _mails_about(shop: Shop, code: str) -> list[Delivery]:
    return list(shop.session.scalars(select(Delivery).where(
        Delivery.tenant_id == shop.tenant.id,
        Delivery.event_key == "hotspot.voucher_purchased")))


def test_a_visitor_buys_a_voucher_sees_the_code_and_gets_it_by_email(shop: Shop) -> None:
    plan = _plan(shop)
    back = _paid(shop, plan)
    (checkout,) = shop.stripe.sessions.values()
    assert checkout["amount_total"] == 250 and checkout["currency"] == "usd"
    assert checkout["customer_email"] == BUYER.lower()

    page = shop.client.get(back)  # the browser is back before any webhook
    assert page.status_code == 200, page.text
    (voucher,) = _vouchers_of(shop.session, shop.tenant)
    assert voucher.sold_to == BUYER.lower() and voucher.plan_id == plan.id
    assert voucher.code in page.text
    assert (f'href="/hotspot/{shop.tenant.slug}/default/login?username={voucher.code}"'
            in page.text)
    login = shop.client.get(f"/hotspot/{shop.tenant.slug}/default/login"
                            f"?username={voucher.code}&link-login-only=http://10.5.50.1/login")
    assert f'value="{voucher.code}"' in login.text

    mail = [m for m in shop.inbox.wait_for(1) if voucher.code in m["Subject"]]
    assert [m["To"] for m in mail] == [BUYER.lower()]
    assert voucher.code in mail[0].as_string()

    # Stripe's webhooks arrive afterwards: they find the voucher issued
    for event in shop.stripe.events:
        answer = shop.deliver(event)
        assert answer.status_code == 200 and answer.json()["outcome"] == \
            "voucher already issued", answer.text
    assert [v.id for v in _vouchers_of(shop.session, shop.tenant)] == [voucher.id]
    assert len(_mails_about(shop, voucher.code)) == 1
    (purchase,) = shop.session.scalars(select(VoucherPurchase))
    assert purchase.status == "paid" and purchase.voucher_id == voucher.id
    assert purchase.amount == Decimal("2.50") and purchase.session_id == checkout["id"]
    assert shop.client.get(back).text.count(voucher.code) >= 1  # the page can be reloaded


def test_the_same_webhook_twice_issues_one_voucher(shop: Shop) -> None:
    plan = _plan(shop)
    back = _paid(shop, plan)
    completed, succeeded = shop.stripe.events
    assert shop.deliver(completed).json()["outcome"] == "voucher issued"
    assert shop.deliver(completed).json()["outcome"] == "duplicate"
    assert shop.deliver(succeeded).json()["outcome"] == "voucher already issued"
    (voucher,) = _vouchers_of(shop.session, shop.tenant)
    assert voucher.sold_to == BUYER.lower()
    assert voucher.code in shop.client.get(back).text  # the return page shows the same code
    assert len(_vouchers_of(shop.session, shop.tenant)) == 1
    assert len(_mails_about(shop, voucher.code)) == 1
    # no customer payment is recorded for a voucher sale
    assert shop.payments() == []


def test_a_forged_webhook_is_refused_and_issues_nothing(shop: Shop) -> None:
    plan = _plan(shop)
    _paid(shop, plan)
    answer = shop.deliver(shop.stripe.events[0], secret="whsec_forged")
    assert answer.status_code == 400
    assert answer.json()["error"]
    assert _vouchers_of(shop.session, shop.tenant) == []


def test_an_unpaid_return_waits_and_another_tenant_cannot_see_the_purchase(
        shop: Shop) -> None:
    plan = _plan(shop)
    started = _buy(shop.client, f"/hotspot/{shop.tenant.slug}/default", plan)
    assert started.status_code == 303
    (purchase,) = shop.session.scalars(select(VoucherPurchase))
    back = f"/hotspot/{shop.tenant.slug}/default/buy/return/{purchase.id}"
    waiting = shop.client.get(back)  # not paid on the hosted page
    assert waiting.status_code == 200 and 'data-testid="payment-pending"' in waiting.text
    assert _vouchers_of(shop.session, shop.tenant) == []
    other = make_tenant(shop.session, slug="tenant-b-buy")
    shop.session.flush()
    assert shop.client.get(f"/hotspot/{other.slug}/default/buy/return/{purchase.id}"
                           ).status_code == 404


def test_bad_input_is_shown_beside_its_field_and_starts_nothing(shop: Shop) -> None:
    plan = _plan(shop)
    base = f"/hotspot/{shop.tenant.slug}/default"
    bad = _buy(shop.client, base, plan, email="not an address")
    assert "email address" in assert_beside(bad, {"email": "Email"})["email"][0]
    page = shop.client.get(f"{base}/buy")
    none = shop.client.post(f"{base}/buy", data={"csrf_token": csrf_of(page.text),
                                                 "email": BUYER})
    assert "choose a voucher" in assert_beside(none, {"plan_id": "Voucher"})["plan_id"][0]
    assert shop.stripe.sessions == {}
    assert list(shop.session.scalars(select(VoucherPurchase))) == []


def test_without_a_gateway_the_page_says_online_purchase_is_not_available(
        client: TestClient, session: Session, tenant: Tenant, settings: Settings) -> None:
    plan = make_voucher_plan(session, tenant, name="Hour pass")
    session.flush()
    base = f"/hotspot/{tenant.slug}/default"
    page = client.get(f"{base}/buy")
    assert page.status_code == 200
    assert "not available" in page.text and "Hour pass" in page.text
    assert 'data-testid="buy-form"' not in page.text
    token = csrf_of(client.get(f"/portal/{tenant.slug}/login").text)  # a crafted post
    refused = client.post(f"{base}/buy", data={"csrf_token": token,
                                               "plan_id": str(plan.id), "email": BUYER})
    assert refused.status_code == 422 and "not available" in refused.text
    assert list(session.scalars(select(VoucherPurchase))) == []
