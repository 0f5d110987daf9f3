"""Refunds of payments taken online go back to the card (a refund at the Stripe stand-in on
loopback; Stripe itself cannot be reached from here) and into the ledger; other payments are
refunded in the ledger only."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from dotmac_isp.modules.billing import service as billing
from dotmac_isp.modules.billing.gateways.models import GatewayRefund
from dotmac_isp.modules.billing.models import Refund
from tests.modules.billing.gateways.world import Shop
from tests.support.factories import StaffUser
from tests.web.billing_support import pay, visible
from tests.web.test_admin_pages import csrf_of, sign_in


@pytest.fixture
def staff(shop: Shop, admin: StaffUser) -> Iterator[TestClient]:
    with TestClient(shop.app, raise_server_exceptions=False) as client:
        assert sign_in(client, admin.user.email, admin.password).status_code == 303
        yield client


def _refund(staff: TestClient, payment_id: object, amount: str,
            reason: str = "goodwill") -> httpx.Response:
    page = staff.get(f"/admin/payments/{payment_id}")
    assert page.status_code == 200
    return staff.post(f"/admin/payments/{payment_id}/refund", data={
        "csrf_token": csrf_of(page.text), "amount": amount, "reason": reason},
        follow_redirects=False)


def _refunds(shop: Shop, payment_id: object) -> list[Decimal]:
    shop.session.expire_all()
    return [r.amount for r in shop.session.scalars(select(Refund).where(
        Refund.payment_id == payment_id).order_by(Refund.number))]


def test_partial_refunds_reach_the_gateway_and_the_ledger(shop: Shop,
                                                          staff: TestClient) -> None:
    invoice, payment = shop.paid_online("100.00")  # 107.50 by card
    billing.credit_invoice(shop.session, shop.tenant.id, invoice.id, amount=Decimal("30.00"),
                           reason="outage credit")  # frees 30.00 of the payment
    shop.session.flush()

    assert _refund(staff, payment.id, "20.00").status_code == 303
    assert _refund(staff, payment.id, "10.00").status_code == 303
    assert [(r["amount"], r["payment_intent"]) for r in shop.stripe.refunds] == [
        (2000, payment.gateway_reference), (1000, payment.gateway_reference)]
    assert _refunds(shop, payment.id) == [Decimal("20.00"), Decimal("10.00")]
    sent = shop.session.scalars(select(GatewayRefund).where(
        GatewayRefund.payment_id == payment.id)).all()
    assert sorted(r.gateway_refund_id for r in sent) == sorted(
        r["id"] for r in shop.stripe.refunds)
    shop.session.refresh(payment)
    assert payment.amount_refunded == Decimal("30.00")

    # more than is free to refund: refused before the card is touched
    refused = _refund(staff, payment.id, "5.00")
    assert refused.status_code == 422
    assert "unallocated" in visible(refused.text)
    assert len(shop.stripe.refunds) == 2


def test_a_gateway_refusal_leaves_the_ledger_unchanged(shop: Shop, staff: TestClient) -> None:
    invoice, payment = shop.paid_online("50.00")
    billing.credit_invoice(shop.session, shop.tenant.id, invoice.id, amount=None,
                           reason="cancelled order")
    shop.session.flush()
    shop.stripe.intents[payment.gateway_reference]["status"] = "canceled"  # Stripe says no
    answer = _refund(staff, payment.id, "10.00")
    assert answer.status_code == 422
    assert "Stripe refused" in visible(answer.text)
    assert shop.stripe.refunds == [] and _refunds(shop, payment.id) == []


def test_payments_not_taken_online_are_refunded_in_the_ledger_only(
        shop: Shop, staff: TestClient) -> None:
    cash = pay(shop.session, shop.tenant, shop.customer.id, "25.00")  # nothing owed: credit
    shop.session.flush()
    assert _refund(staff, cash.id, "25.00").status_code == 303
    assert _refunds(shop, cash.id) == [Decimal("25.00")]
    assert shop.stripe.refunds == []


def test_the_api_refund_of_an_online_payment_reaches_the_gateway(shop: Shop,
                                                                 admin: StaffUser) -> None:
    invoice, payment = shop.paid_online("20.00")
    billing.credit_invoice(shop.session, shop.tenant.id, invoice.id, amount=Decimal("5.00"),
                           reason="discount")
    shop.session.flush()
    answer = shop.client.post(f"/api/v1/payments/{payment.id}/refunds", headers=admin.headers,
                              json={"amount": "5.00", "reason": "discount"})
    assert answer.status_code == 201, answer.text
    assert [r["amount"] for r in shop.stripe.refunds] == [500]
