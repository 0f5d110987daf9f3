"""A declined automatic payment is tried again on the retry schedule (on the due date, 3 and 7
days after), each decline emailed to the customer with the card issuer's reason; after the last
one the invoice is left to dunning. A retry that goes through sends the receipt."""

from __future__ import annotations

from datetime import date, timedelta
from email.message import Message

from sqlalchemy import select

from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.modules.billing import dunning
from dotmac_isp.modules.billing.gateways import autopay
from dotmac_isp.modules.billing.gateways.tasks import charge_autopay
from dotmac_isp.modules.billing.models import Invoice
from dotmac_isp.modules.notifications.models import Delivery
from tests.conftest import RollbackDatabase
from tests.modules.billing.gateways.test_autopay import _save_card_and_agree, _status
from tests.modules.billing.gateways.world import Shop

REASON = ("insufficient_funds", "Your card has insufficient funds.")


def _run(db: RollbackDatabase, shop: Shop, day: date) -> str:
    shop.session.flush()
    return charge_autopay(JobContext(database=db, settings=shop.settings,  # type: ignore[arg-type]
                                     params={"date": day}))


def _text(message: Message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def _declining(shop: Shop) -> Invoice:
    _save_card_and_agree(shop)
    card = autopay.card_of(shop.session, shop.tenant.id, shop.customer.id)
    assert card is not None
    shop.stripe.declining[card.payment_method_id] = REASON
    invoice = shop.invoice("40.00")
    assert invoice.due_date is not None
    return invoice


def test_a_declined_card_is_retried_then_left_to_dunning(shop: Shop,
                                                         db: RollbackDatabase) -> None:
    invoice = _declining(shop)
    due = invoice.due_date
    assert due is not None
    outcomes = {offset: _run(db, shop, due + timedelta(days=offset)) for offset in range(12)}
    assert {k: v for k, v in outcomes.items() if v != "nothing due"} == {
        0: "1 declined", 3: "1 declined", 7: "1 declined"}
    assert _status(shop, invoice) != "paid" and shop.payments() == []
    attempts = autopay.charges_of(shop.session, shop.tenant.id, shop.customer.id)
    assert [a.attempted_on for a in attempts] == [due + timedelta(days=d) for d in (7, 3, 0)]

    mails = shop.inbox.wait_for(3)
    subject = f"Your automatic payment for invoice {invoice.number} was declined"
    assert [m["Subject"] for m in mails] == [subject] * 3
    bodies = [_text(m) for m in mails]
    assert all("The card issuer said: Your card has insufficient funds." in b for b in bodies)
    assert "43.00 USD" in bodies[0] and "ending in 4444" in bodies[0]
    assert f"We will try again on {due + timedelta(days=3)}." in bodies[0]
    assert f"We will try again on {due + timedelta(days=7)}." in bodies[1]
    assert "We will not try this card again for this invoice" in bodies[2]
    assert "/portal/tenant-a/billing" in bodies[2]

    # dunning has it like any unpaid invoice: the final notice warns of suspension
    done = dunning.run_for_tenant(db, shop.tenant.id,  # type: ignore[arg-type]
                                  due + timedelta(days=10))
    assert done.failures == [] and _status(shop, invoice) == "overdue"
    warning = shop.session.scalars(select(Delivery).where(
        Delivery.related_id == invoice.id,
        Delivery.event_key == "billing.suspension_warning")).one()
    assert warning.subject.startswith("Action needed: your service will be suspended")
    assert warning.to_address == "payer@home.example"
    assert _run(db, shop, due + timedelta(days=30)) == "nothing due"


def test_a_retry_that_goes_through_sends_the_receipt(shop: Shop, db: RollbackDatabase) -> None:
    invoice = _declining(shop)
    due = invoice.due_date
    assert due is not None
    assert _run(db, shop, due) == "1 declined"
    assert _run(db, shop, due + timedelta(days=1)) == "nothing due"
    shop.stripe.declining.clear()  # the customer topped up their account
    assert _run(db, shop, due + timedelta(days=3)) == "1 succeeded"
    assert _status(shop, invoice) == "paid" and len(shop.payments()) == 1
    subjects = [m["Subject"] for m in shop.inbox.wait_for(2)]
    assert subjects == [f"Your automatic payment for invoice {invoice.number} was declined",
                        "Payment received, thank you (43.00 USD)"]
    assert _run(db, shop, due + timedelta(days=7)) == "nothing due"
