"""Staff refunds of a direct debit go to GoCardless's refunds API (the stand-in on loopback;
GoCardless cannot be reached from here) and reach the ledger; the tenant's GoCardless keys are
kept encrypted and never shown."""

from __future__ import annotations

from decimal import Decimal

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from dotmac_isp.modules.billing import service as billing
from dotmac_isp.modules.billing.gateways import gocardless_accounts
from dotmac_isp.modules.billing.gateways.models import GatewayAccount, GatewayRefund
from dotmac_isp.modules.billing.models import Payment, Refund
from tests.modules.billing.gateways.direct_debit.world import Debits
from tests.support.gocardless_stand_in import ACCESS_TOKEN, WEBHOOK_SECRET
from tests.web.billing_support import visible
from tests.web.test_admin_pages import csrf_of


def _collected(debits: Debits) -> Payment:
    debits.set_up_mandate()
    invoice = debits.invoice("100.00")  # 107.50 with VAT
    assert debits.run_autopay() == "1 collecting"
    (payment_id,) = debits.gc.payments
    assert debits.deliver(debits.gc.payment_becomes(payment_id, "confirmed")).status_code == 200
    (payment,) = debits.payments()
    billing.credit_invoice(debits.session, debits.tenant.id, invoice.id,
                           amount=Decimal("30.00"), reason="outage credit")
    debits.session.flush()  # frees 30.00 of the payment
    return payment


def _refund(staff: TestClient, payment: Payment, amount: str) -> httpx.Response:
    page = staff.get(f"/admin/payments/{payment.id}")
    return staff.post(f"/admin/payments/{payment.id}/refund", data={
        "csrf_token": csrf_of(page.text), "amount": amount, "reason": "goodwill"},
        follow_redirects=False)


def test_a_staff_refund_reaches_gocardless_and_the_ledger(debits: Debits,
                                                          staff: TestClient) -> None:
    payment = _collected(debits)
    assert _refund(staff, payment, "20.00").status_code == 303
    assert _refund(staff, payment, "10.00").status_code == 303
    assert [(r["amount"], r["links"]["payment"]) for r in debits.gc.refunds] == [
        (2000, payment.gateway_reference), (1000, payment.gateway_reference)]
    debits.session.expire_all()
    ledger = debits.session.scalars(select(Refund).where(Refund.payment_id == payment.id)
                                    .order_by(Refund.number)).all()
    assert [r.amount for r in ledger] == [Decimal("20.00"), Decimal("10.00")]
    sent = debits.session.scalars(select(GatewayRefund).where(
        GatewayRefund.payment_id == payment.id)).all()
    assert sorted(r.gateway_refund_id for r in sent) == sorted(
        r["id"] for r in debits.gc.refunds)
    assert {r.gateway for r in sent} == {"gocardless"}
    refused = _refund(staff, payment, "5.00")  # nothing unallocated is left
    assert refused.status_code == 422 and len(debits.gc.refunds) == 2


def test_a_refusal_by_gocardless_leaves_the_ledger_unchanged(debits: Debits,
                                                             staff: TestClient) -> None:
    payment = _collected(debits)
    debits.gc.payments[payment.gateway_reference]["status"] = "charged_back"
    answer = _refund(staff, payment, "10.00")
    assert answer.status_code == 422
    assert "GoCardless refused to refund the payment" in visible(answer.text)
    debits.session.expire_all()
    assert debits.session.scalars(select(Refund)).all() == []
    assert debits.gc.refunds == []


def test_the_settings_page_keeps_the_keys_encrypted(debits: Debits, staff: TestClient) -> None:
    url = "/admin/settings/payments/gocardless"
    page = staff.get(url)
    assert page.status_code == 200
    account = gocardless_accounts.find(debits.session, debits.tenant.id)
    assert account is not None
    assert f"/webhooks/gocardless/{account.id}" in page.text
    assert ACCESS_TOKEN not in page.text and WEBHOOK_SECRET not in page.text
    wrong = staff.post(url, data={"csrf_token": csrf_of(page.text), "mode": "live",
                                  "access_token": "sandbox_abc", "is_enabled": "on"})
    assert wrong.status_code == 422
    assert 'data-error-for="access_token"' in wrong.text
    assert "a live access token starts with live_" in visible(wrong.text)
    saved = staff.post(url, data={"csrf_token": csrf_of(page.text), "mode": "live",
                                  "access_token": "live_new_token_9876", "is_enabled": "on"})
    assert saved.status_code == 200 and "Direct debit settings saved." in saved.text
    debits.session.expire_all()
    stored = debits.session.scalars(select(GatewayAccount).where(
        GatewayAccount.gateway == "gocardless")).one()
    assert stored.mode == "live" and stored.secret_key_hint == "9876"
    assert "live_new_token_9876" not in stored.secret_key_encrypted
    assert WEBHOOK_SECRET not in stored.webhook_secret_encrypted
