"""Stripe payments that are not cards (SEPA debit, iDEAL, Link) are recorded as online
payments with Stripe's name for the means and the account's last four digits when Stripe
gives them; a card payment stays a card payment. The Stripe stand-in on loopback pays the
hosted checkout with the means a test chooses (Stripe itself cannot be reached from here)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from dotmac_isp.modules.billing import service as billing
from dotmac_isp.modules.billing.gateways.models import GatewayRefund
from dotmac_isp.modules.billing.models import Invoice
from tests.modules.billing.gateways.world import Shop
from tests.support.factories import StaffUser
from tests.web.billing_support import visible
from tests.web.test_admin_pages import csrf_of, sign_in

SEPA = {"type": "sepa_debit", "sepa_debit": {
    "bank_code": "37040044", "country": "DE", "last4": "3000", "mandate": "mandate_standin"}}
IDEAL = {"type": "ideal", "ideal": {"bank": "ing", "bic": "INGBNL2A", "iban_last4": "5264"}}
LINK = {"type": "link", "link": {"country": "NL"}}


@pytest.mark.parametrize(("paid_with", "method_type", "last4", "shown"), [
    (SEPA, "sepa_debit", "3000", "online (sepa debit ending 3000)"),
    (IDEAL, "ideal", "5264", "online (ideal ending 5264)"),
    (LINK, "link", "", "online (link)"),
])
def test_a_payment_by_another_means_than_a_card_is_recorded(
        shop: Shop, admin: StaffUser, paid_with: dict[str, Any], method_type: str,
        last4: str, shown: str) -> None:
    chosen = shop.invoice("100.00")
    shop.stripe.paid_with = paid_with
    back = shop.pay_on_hosted_page(shop.pay_now(f"invoices/{chosen.id}"))
    for event in list(shop.stripe.events):
        answer = shop.deliver(event)
        assert answer.status_code == 200, answer.text
    (payment,) = shop.payments()
    assert (payment.method, payment.method_type, payment.card_last4, payment.card_brand) == (
        "online", method_type, last4, "")
    assert payment.gateway == "stripe" and payment.amount == Decimal("107.50")
    shop.session.expire_all()
    assert shop.session.get(Invoice, chosen.id).status == "paid"  # type: ignore[union-attr]
    assert payment.number in visible(shop.client.get(back).text)
    receipts = [m for m in shop.inbox.wait_for(1) if "Payment received" in m["Subject"]]
    assert [m["To"] for m in receipts] == ["payer@home.example"]

    with TestClient(shop.app, raise_server_exceptions=False) as staff:
        assert sign_in(staff, admin.user.email, admin.password).status_code == 303
        page = staff.get(f"/admin/payments/{payment.id}")
        assert f"Method {shown}" in visible(page.text)
        api = staff.get(f"/api/v1/payments/{payment.id}", headers=admin.headers)
        assert api.status_code == 200 and api.json()["method_type"] == method_type


def test_a_sepa_payment_is_refunded_through_stripe(shop: Shop, admin: StaffUser) -> None:
    chosen = shop.invoice("20.00")
    shop.stripe.paid_with = SEPA
    shop.pay_on_hosted_page(shop.pay_now(f"invoices/{chosen.id}"))
    for event in list(shop.stripe.events):
        shop.deliver(event)
    (payment,) = shop.payments()
    billing.credit_invoice(shop.session, shop.tenant.id, chosen.id, amount=Decimal("5.00"),
                           reason="outage credit")  # frees 5.00 of the payment
    with TestClient(shop.app, raise_server_exceptions=False) as staff:
        assert sign_in(staff, admin.user.email, admin.password).status_code == 303
        page = staff.get(f"/admin/payments/{payment.id}")
        refunded = staff.post(f"/admin/payments/{payment.id}/refund", data={
            "csrf_token": csrf_of(page.text), "amount": "5.00", "reason": "goodwill"},
            follow_redirects=False)
        assert refunded.status_code == 303, visible(refunded.text)
    assert [r["amount"] for r in shop.stripe.refunds] == [500]
    sent = shop.session.scalars(select(GatewayRefund).where(
        GatewayRefund.payment_id == payment.id)).one()
    assert sent.gateway_refund_id == shop.stripe.refunds[0]["id"]


def test_a_card_payment_keeps_its_card(shop: Shop) -> None:
    _invoice, payment = shop.paid_online("10.00")
    assert (payment.method, payment.method_type, payment.card_brand, payment.card_last4) == (
        "card", "card", "visa", "4242")


def test_staff_cannot_record_an_online_payment_by_hand(shop: Shop, admin: StaffUser) -> None:
    with TestClient(shop.app, raise_server_exceptions=False) as staff:
        answer = staff.post("/api/v1/payments", headers=admin.headers, json={
            "customer_id": str(shop.customer.id), "method": "online", "amount": "5.00",
            "currency": "USD", "reference": "x"})
    assert answer.status_code == 422
    assert "recorded by the gateway" in answer.json()["detail"]
    assert shop.payments() == []
