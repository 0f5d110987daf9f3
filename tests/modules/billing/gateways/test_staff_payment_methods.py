"""The customer page's Payment methods panel: the saved card (brand, last four, expiry),
autopay on or off with the consent behind it (who, when, how, the words agreed to); staff
turn autopay off, or on with the box ticked that says the customer agreed (audited).
Another tenant's customer is not found. The card is saved at the Stripe stand-in on
loopback (Stripe itself cannot be reached from here)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing.gateways import autopay
from dotmac_isp.modules.identity.models import AuditLog, Tenant
from tests.modules.billing.gateways.test_autopay import _save_card_and_agree
from tests.modules.billing.gateways.world import Shop
from tests.support.customers import make_customer
from tests.support.factories import StaffUser, make_user
from tests.web.billing_support import visible
from tests.web.test_admin_pages import csrf_of, sign_in


@pytest.fixture
def staff(shop: Shop, admin: StaffUser) -> Iterator[TestClient]:
    with TestClient(shop.app, raise_server_exceptions=False) as client:
        assert sign_in(client, admin.user.email, admin.password).status_code == 303
        yield client


def _panel(staff: TestClient, customer_id: object) -> str:
    page = staff.get(f"/admin/customers/{customer_id}")
    assert page.status_code == 200
    return page.text.split('data-testid="payment-methods"', 1)[1].split("</section>", 1)[0]


def _post(staff: TestClient, shop: Shop, **data: str) -> tuple[int, str]:
    page = staff.get(f"/admin/customers/{shop.customer.id}")
    answer = staff.post(f"/admin/customers/{shop.customer.id}/payment-methods/autopay",
                        data={"csrf_token": csrf_of(page.text), **data})
    return answer.status_code, answer.text


def test_the_panel_shows_the_card_and_the_portal_consent(shop: Shop, staff: TestClient) -> None:
    assert "No saved card." in visible(_panel(staff, shop.customer.id))
    _save_card_and_agree(shop)
    panel = visible(_panel(staff, shop.customer.id))
    assert "Saved card mastercard ending 4444, expires 08/2029" in panel
    assert "Autopay on" in panel
    assert ("by customer (portal login payer@home.example) (in the portal): “I agree that "
            f"{shop.tenant.name} charges my invoices to this card on their due date until I "
            "stop it here.”") in panel


def test_staff_turn_autopay_off_and_on_with_the_customers_consent(
        shop: Shop, staff: TestClient, admin: StaffUser) -> None:
    _save_card_and_agree(shop)
    status, html = _post(staff, shop, autopay="off")
    assert status == 200 and "Automatic payment is off." in visible(html)
    assert "Autopay off" in visible(_panel(staff, shop.customer.id))

    status, html = _post(staff, shop, autopay="on")  # the box not ticked
    assert status == 422
    beside = html.split('id="consent"', 1)[1].split("</form>", 1)[0]
    assert 'data-error-for="consent"' in beside
    assert ("Customer's agreement: tick the box to confirm the customer agreed to automatic "
            "charges") in visible(beside)
    card = autopay.card_of(shop.session, shop.tenant.id, shop.customer.id)
    assert card is not None and not card.autopay

    status, html = _post(staff, shop, autopay="on", consent="yes")
    assert status == 200 and "Automatic payment is on." in visible(html)
    shop.session.expire_all()
    card = autopay.card_of(shop.session, shop.tenant.id, shop.customer.id)
    assert card is not None and card.autopay
    words = (f"The customer agreed that {shop.tenant.name} charges their invoices to the card "
             "ending in 4444 on their due date until they ask to stop.")
    assert (card.autopay_consent_via, card.autopay_consent_text) == ("staff", words)
    assert card.autopay_consent_by == f"staff ({admin.user.email})"
    assert f"(through staff): “{words}”" in visible(_panel(staff, shop.customer.id))
    audited = shop.session.scalars(select(AuditLog).where(
        AuditLog.tenant_id == shop.tenant.id, AuditLog.entity_type == "payment_gateway_cards",
        AuditLog.actor_id == admin.user.id).order_by(AuditLog.created_at)).all()
    assert [(a.after or {}).get("autopay") for a in audited] == [False, True]
    assert (audited[-1].after or {})["autopay_consent_text"] == words


def test_without_a_saved_card_autopay_cannot_be_turned_on(shop: Shop,
                                                         staff: TestClient) -> None:
    status, html = _post(staff, shop, autopay="on", consent="yes")
    assert status == 422 and "save a card first" in visible(html)


def test_support_sees_the_panel_without_the_switch(shop: Shop, settings: Settings,
                                                  tenant: Tenant) -> None:
    _save_card_and_agree(shop)
    agent = make_user(shop.session, settings, tenant, "support")  # billing:read only
    with TestClient(shop.app, raise_server_exceptions=False) as client:
        assert sign_in(client, agent.user.email, agent.password).status_code == 303
        page = client.get(f"/admin/customers/{shop.customer.id}")
        assert "Saved card mastercard ending 4444" in visible(page.text)
        assert 'data-testid="staff-autopay-form"' not in page.text
        answer = client.post(f"/admin/customers/{shop.customer.id}/payment-methods/autopay",
                             data={"csrf_token": csrf_of(page.text), "autopay": "off"})
        assert answer.status_code == 403


def test_another_tenants_customer_is_not_found(shop: Shop, staff: TestClient,
                                               other_tenant: Tenant) -> None:
    _save_card_and_agree(shop)
    theirs = make_customer(shop.session, other_tenant, email="them@home.example")
    assert staff.get(f"/admin/customers/{theirs.id}/payment-methods").status_code == 404
    page = staff.get(f"/admin/customers/{shop.customer.id}")
    for data in ({"autopay": "off"}, {"autopay": "on", "consent": "yes"}):
        answer = staff.post(f"/admin/customers/{theirs.id}/payment-methods/autopay",
                            data={"csrf_token": csrf_of(page.text), **data})
        assert answer.status_code == 404
    assert staff.get(f"/admin/customers/{shop.customer.id}/payment-methods").status_code == 200
    card = autopay.card_of(shop.session, shop.tenant.id, shop.customer.id)
    assert card is not None and card.autopay  # ours untouched
