"""Saved cards and autopay against the Stripe stand-in on loopback (Stripe cannot be reached
from here): the customer saves a card through a SetupIntent on the hosted page, agrees to
automatic charges (who and when is kept), and the daily job charges due invoices
off-session; a decline is kept with Stripe's reason and the invoice stays open."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.modules.billing.gateways import accounts, autopay
from dotmac_isp.modules.billing.gateways.tasks import charge_autopay
from dotmac_isp.modules.billing.models import Invoice
from dotmac_isp.sdks.payments import OffSessionCharge
from tests.conftest import RollbackDatabase
from tests.modules.billing.gateways.world import Shop
from tests.web.billing_support import visible
from tests.web.test_admin_pages import csrf_of

DUE_DAY = date(2026, 4, 20)  # after the due date of invoices issued on 2026-04-01


def _save_card_and_agree(shop: Shop) -> None:
    base = f"/portal/{shop.tenant.slug}/pay/card"
    page = shop.client.get(base)
    started = shop.client.post(base, data={"csrf_token": csrf_of(page.text)},
                               follow_redirects=False)
    assert started.status_code == 303 and started.headers["location"].startswith(
        shop.stripe.base_url)
    back = shop.client.get(shop.pay_on_hosted_page(started.headers["location"]))
    assert "mastercard ending in 4444" in visible(back.text)
    refused = shop.client.post(f"{base}/autopay", data={"csrf_token": csrf_of(back.text),
                                                        "autopay": "on"})
    assert refused.status_code == 422 and "agree" in visible(refused.text)
    agreed = shop.client.post(f"{base}/autopay", data={"csrf_token": csrf_of(back.text),
                                                       "autopay": "on", "consent": "yes"})
    assert agreed.status_code == 200 and "Automatic payment is on" in visible(agreed.text)


def _run(db: RollbackDatabase, shop: Shop) -> str:
    shop.session.flush()
    return charge_autopay(JobContext(database=db, settings=shop.settings,  # type: ignore[arg-type]
                                     params={"date": DUE_DAY}))


def _status(shop: Shop, invoice: Invoice) -> str:
    shop.session.expire_all()
    return shop.session.get(Invoice, invoice.id).status  # type: ignore[union-attr]


def test_autopay_charges_due_invoices_once_with_recorded_consent(
        shop: Shop, db: RollbackDatabase) -> None:
    _save_card_and_agree(shop)
    card = autopay.card_of(shop.session, shop.tenant.id, shop.customer.id)
    assert card is not None and card.autopay and card.autopay_consent_at is not None
    assert card.autopay_consent_by == "customer (portal login payer@home.example)"
    due = shop.invoice("40.00")  # 43.00 with VAT
    not_yet = shop.invoice("10.00", on=DUE_DAY)  # due later

    assert "1 succeeded" in _run(db, shop)
    assert _status(shop, due) == "paid" and _status(shop, not_yet) == "issued"
    (payment,) = shop.payments()
    assert payment.amount == Decimal("43.00") and payment.card_last4 == "4444"
    assert [m["Subject"] for m in shop.inbox.wait_for(1)] == [
        "Payment received, thank you (43.00 USD)"]
    charged = [i for i in shop.stripe.intents.values() if i.get("customer")]
    assert [(i["amount"], i["status"]) for i in charged] == [(4300, "succeeded")]

    assert _run(db, shop) == "nothing due"  # the same day again: nothing charged twice
    assert len([i for i in shop.stripe.intents.values() if i.get("customer")]) == 1
    (succeeded,) = [e for e in shop.stripe.events if e["type"] == "payment_intent.succeeded"]
    assert shop.deliver(succeeded).json()["outcome"] == "already recorded"
    assert len(shop.payments()) == 1


def test_a_decline_is_recorded_with_the_gateways_reason(shop: Shop,
                                                         db: RollbackDatabase) -> None:
    _save_card_and_agree(shop)
    card = autopay.card_of(shop.session, shop.tenant.id, shop.customer.id)
    assert card is not None
    shop.stripe.declining[card.payment_method_id] = ("insufficient_funds",
                                                     "Your card has insufficient funds.")
    due = shop.invoice("40.00")
    assert "1 declined" in _run(db, shop)
    assert _status(shop, due) == "issued" and shop.payments() == []
    (attempt,) = autopay.charges_of(shop.session, shop.tenant.id, shop.customer.id)
    assert attempt.status == "declined"
    assert attempt.reason == "Your card has insufficient funds. (insufficient_funds)"
    page = visible(shop.client.get(f"/portal/{shop.tenant.slug}/pay/card").text)
    assert "declined: Your card has insufficient funds." in page
    assert _run(db, shop) == "nothing due"  # tried again tomorrow, not today


def test_autopay_needs_a_saved_card(shop: Shop) -> None:
    base = f"/portal/{shop.tenant.slug}/pay/card"
    page = shop.client.get(base)
    answer = shop.client.post(f"{base}/autopay", data={"csrf_token": csrf_of(page.text),
                                                       "autopay": "on", "consent": "yes"})
    assert answer.status_code == 422 and "save a card first" in visible(answer.text)


def test_the_webhook_records_a_charge_the_job_did_not(shop: Shop, db: RollbackDatabase) -> None:
    """The job stopped after Stripe took the money: the signed event records it, once."""
    _save_card_and_agree(shop)
    due = shop.invoice("40.00")
    card = autopay.card_of(shop.session, shop.tenant.id, shop.customer.id)
    account = accounts.find_account(shop.session, shop.tenant.id)
    assert card is not None and account is not None
    accounts.gateway_of(shop.settings, account).charge_saved_card(OffSessionCharge(
        gateway_customer_id=card.gateway_customer_id, payment_method_id=card.payment_method_id,
        amount=Decimal("43.00"), currency="USD", description="Invoice",
        metadata={"dotmac_tenant": str(shop.tenant.id), "dotmac_invoice": str(due.id)},
        idempotency_key=f"autopay-{due.id}-{DUE_DAY.isoformat()}"))
    (succeeded,) = [e for e in shop.stripe.events if e["type"] == "payment_intent.succeeded"]
    assert shop.deliver(succeeded).json()["outcome"].startswith("recorded")
    assert _status(shop, due) == "paid"
    assert _run(db, shop) == "nothing due"
    assert len(shop.payments()) == 1
    assert len([i for i in shop.stripe.intents.values() if i.get("customer")]) == 1
