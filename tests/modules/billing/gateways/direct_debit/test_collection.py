"""Autopay by direct debit against the GoCardless stand-in on loopback (GoCardless cannot be
reached from here): the job creates a payment on the mandate; the invoice is paid, and the
receipt emailed, only when the signed webhook says the payment is confirmed. The same event
twice, or events out of order, record one payment; a forged delivery records nothing."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from dotmac_isp.modules.billing.gateways import autopay
from dotmac_isp.modules.billing.gateways.models import GatewayEvent
from tests.modules.billing.gateways.direct_debit.world import DUE_DAY, Debits
from tests.support.gocardless_stand_in import sign


def _collecting(debits: Debits) -> str:
    debits.set_up_mandate()
    debits.invoice("40.00")  # 43.00 with VAT
    assert debits.run_autopay() == "1 collecting"
    (payment_id,) = debits.gc.payments
    return payment_id


def test_autopay_collects_and_the_confirmed_webhook_pays_the_invoice(debits: Debits) -> None:
    debits.set_up_mandate()
    due = debits.invoice("40.00")
    not_yet = debits.invoice("10.00", on=DUE_DAY)
    assert debits.run_autopay() == "1 collecting"
    (collection,) = debits.gc.payments.values()
    assert (collection["amount"], collection["currency"]) == (4300, "USD")
    assert collection["links"]["mandate"] == debits.mandate().mandate_id
    assert collection["metadata"]["dotmac_invoice"] == str(due.id)
    # direct debit is not money yet: the invoice stays open, nothing is in the ledger
    assert debits.status(due) == "issued" and debits.payments() == []
    assert debits.run_autopay() == "nothing due"
    assert debits.run_autopay(DUE_DAY.replace(day=21)) == "nothing due"  # still collecting
    assert len(debits.gc.payments) == 1

    confirmed = debits.gc.payment_becomes(collection["id"], "confirmed")
    answer = debits.deliver(confirmed)
    assert answer.status_code == 200, answer.text
    assert answer.json()["events"][confirmed["id"]].startswith("recorded ")
    (payment,) = debits.payments()
    assert payment.amount == Decimal("43.00") and payment.method == "direct_debit"
    assert (payment.gateway, payment.gateway_reference) == ("gocardless", collection["id"])
    assert debits.status(due) == "paid" and debits.status(not_yet) == "issued"
    assert [m["Subject"] for m in debits.inbox.wait_for(1)] == [
        "Payment received, thank you (43.00 USD)"]
    (attempt,) = autopay.charges_of(debits.session, debits.tenant.id, debits.customer.id)
    assert attempt.status == "succeeded" and attempt.payment_id == payment.id

    # the same event again, the created event late, paid_out after: still one payment
    assert debits.deliver(confirmed).json()["events"] == {confirmed["id"]: "duplicate"}
    created = debits.gc.events_of("payments", "created")[0]
    paid_out = debits.gc.payment_becomes(collection["id"], "paid_out")
    assert debits.deliver(created, paid_out).json()["events"] == {
        created["id"]: "already recorded", paid_out["id"]: "already recorded"}
    assert [p.id for p in debits.payments()] == [payment.id]
    assert debits.run_autopay(DUE_DAY.replace(day=22)) == "nothing due"


def test_paid_out_before_confirmed_records_one_payment(debits: Debits) -> None:
    payment_id = _collecting(debits)
    confirmed = debits.gc.payment_becomes(payment_id, "confirmed")
    paid_out = debits.gc.payment_becomes(payment_id, "paid_out")
    first = debits.deliver(paid_out).json()["events"]  # the later event arrives first
    assert first[paid_out["id"]].startswith("recorded ")
    assert debits.deliver(confirmed).json()["events"] == {confirmed["id"]: "already recorded"}
    assert len(debits.payments()) == 1
    # both again, in one delivery and in the wrong order
    assert debits.deliver(paid_out, confirmed).json()["events"] == {
        paid_out["id"]: "duplicate", confirmed["id"]: "duplicate"}
    assert len(debits.payments()) == 1


def test_a_forged_delivery_is_refused_and_records_nothing(debits: Debits) -> None:
    payment_id = _collecting(debits)
    before = set(debits.session.scalars(select(GatewayEvent.event_id)))
    confirmed = debits.gc.payment_becomes(payment_id, "confirmed")
    forged = debits.deliver(confirmed, secret="somebody-else's-secret")
    assert forged.status_code == 400
    assert forged.json()["detail"] == "the webhook signature does not verify"
    body = debits.gc.webhook(confirmed)
    unsigned = debits.client.post(f"/webhooks/gocardless/{debits.tenant.slug}", content=body)
    assert unsigned.status_code == 400
    tampered = body.replace(b'"confirmed"', b'"paid_out"')
    assert debits.client.post(f"/webhooks/gocardless/{debits.tenant.slug}", content=tampered,
                              headers={"Webhook-Signature": sign(body)}).status_code == 400
    assert debits.payments() == []
    assert set(debits.session.scalars(select(GatewayEvent.event_id))) == before
    # the genuine delivery, later, still counts
    assert debits.deliver(confirmed).status_code == 200
    assert len(debits.payments()) == 1


def test_a_webhook_for_an_unknown_account_is_not_found(debits: Debits) -> None:
    answer = debits.client.post("/webhooks/gocardless/no-such-isp", content=b"{}",
                                headers={"Webhook-Signature": sign(b"{}")})
    assert answer.status_code == 404
