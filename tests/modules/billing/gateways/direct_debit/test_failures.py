"""A failed direct debit (at the GoCardless stand-in on loopback; GoCardless cannot be
reached from here) is kept with GoCardless's reason and emailed; the invoice is collected
again on the retry schedule like a declined card, and after the last failure dunning has it."""

from __future__ import annotations

from datetime import timedelta
from email.message import Message

from sqlalchemy import select

from dotmac_isp.modules.billing import dunning
from dotmac_isp.modules.billing.gateways import autopay
from dotmac_isp.modules.notifications.models import Delivery
from tests.modules.billing.gateways.direct_debit.world import Debits
from tests.web.billing_support import visible

REASON = "The customer's account had insufficient funds to make this payment."


def _text(message: Message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def _fail_latest(debits: Debits) -> dict[str, object]:
    latest = list(debits.gc.payments)[-1]
    failed = debits.gc.payment_becomes(latest, "failed", cause="insufficient_funds",
                                       description=REASON, reason_code="ADDACS-0")
    answer = debits.deliver(failed)
    assert answer.status_code == 200, answer.text
    return failed


def test_failed_collections_are_retried_on_schedule_then_left_to_dunning(
        debits: Debits) -> None:
    debits.set_up_mandate()
    invoice = debits.invoice("40.00")
    due = invoice.due_date
    assert due is not None
    outcomes = {}
    for offset in range(12):
        outcomes[offset] = debits.run_autopay(due + timedelta(days=offset))
        if outcomes[offset] == "1 collecting":
            _fail_latest(debits)
    assert {k: v for k, v in outcomes.items() if v != "nothing due"} == {
        0: "1 collecting", 3: "1 collecting", 7: "1 collecting"}
    assert len(debits.gc.payments) == 3  # a new collection per attempt, none repeated
    assert debits.status(invoice) != "paid" and debits.payments() == []
    attempts = autopay.charges_of(debits.session, debits.tenant.id, debits.customer.id)
    assert [(a.attempted_on, a.status) for a in attempts] == [
        (due + timedelta(days=d), "declined") for d in (7, 3, 0)]
    assert attempts[0].reason == f"{REASON} (ADDACS-0)"

    mails = debits.inbox.wait_for(3)
    subject = f"Your direct debit for invoice {invoice.number} failed"
    assert [m["Subject"] for m in mails] == [subject] * 3
    bodies = [_text(m) for m in mails]
    assert all(f"The reason given: {REASON}" in b for b in bodies)
    assert "43.00 USD" in bodies[0] and "at BARCLAYS BANK PLC ending in 11" in bodies[0]
    assert f"again on or after {due + timedelta(days=3)}." in bodies[0]
    assert f"again on or after {due + timedelta(days=7)}." in bodies[1]
    assert "We will not collect this invoice by direct debit again" in bodies[2]
    page = visible(debits.client.get(f"/portal/{debits.tenant.slug}/pay/direct-debit").text)
    assert f"declined: {REASON}" in page

    done = dunning.run_for_tenant(debits.db, debits.tenant.id,  # type: ignore[arg-type]
                                  due + timedelta(days=10))
    assert done.failures == [] and debits.status(invoice) == "overdue"
    warning = debits.session.scalars(select(Delivery).where(
        Delivery.related_id == invoice.id,
        Delivery.event_key == "billing.suspension_warning")).one()
    assert warning.to_address == "payer@home.example"
    assert debits.run_autopay(due + timedelta(days=30)) == "nothing due"


def test_a_failure_told_twice_or_before_the_created_event_is_one_failure(
        debits: Debits) -> None:
    debits.set_up_mandate()
    invoice = debits.invoice("40.00")
    assert invoice.due_date is not None
    assert debits.run_autopay(invoice.due_date) == "1 collecting"
    failed = _fail_latest(debits)
    created = debits.gc.events_of("payments", "created")[0]
    assert debits.deliver(created).json()["events"] == {created["id"]: "already failed"}
    assert debits.deliver(failed).json()["events"] == {str(failed["id"]): "duplicate"}
    (attempt,) = autopay.charges_of(debits.session, debits.tenant.id, debits.customer.id)
    assert attempt.status == "declined" and attempt.reason == f"{REASON} (ADDACS-0)"
    assert len(debits.inbox.wait_for(1)) == 1
    assert debits.payments() == []


def test_a_retry_that_is_collected_sends_the_receipt(debits: Debits) -> None:
    debits.set_up_mandate()
    invoice = debits.invoice("40.00")
    due = invoice.due_date
    assert due is not None
    assert debits.run_autopay(due) == "1 collecting"
    _fail_latest(debits)
    assert debits.run_autopay(due + timedelta(days=3)) == "1 collecting"
    second = list(debits.gc.payments)[-1]
    assert debits.deliver(debits.gc.payment_becomes(second, "confirmed")).status_code == 200
    assert debits.status(invoice) == "paid" and len(debits.payments()) == 1
    subjects = [m["Subject"] for m in debits.inbox.wait_for(2)]
    assert subjects == [f"Your direct debit for invoice {invoice.number} failed",
                        "Payment received, thank you (43.00 USD)"]
    assert debits.run_autopay(due + timedelta(days=7)) == "nothing due"
