"""Pay now in the portal through Stripe Checkout. Stripe cannot be reached from the machines
these tests run on, so a stand-in for its API listens on loopback (tests/support/
stripe_stand_in.py); the stripe SDK talks to it unchanged, and webhooks are signed the way
Stripe signs them and verified by stripe.Webhook.construct_event."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from dotmac_isp.modules.billing.gateways.models import GatewayEvent
from dotmac_isp.modules.billing.models import Invoice
from dotmac_isp.modules.identity.models import Tenant
from tests.modules.billing.gateways.world import Shop
from tests.support.customers import make_customer
from tests.web.billing_support import invoice as make_invoice
from tests.web.billing_support import visible


def _invoice_status(shop: Shop, invoice_id: object) -> str:
    shop.session.expire_all()
    return shop.session.get(Invoice, invoice_id).status  # type: ignore[union-attr]


def test_pay_now_webhook_pays_the_invoice_and_emails_a_receipt(shop: Shop) -> None:
    older = shop.invoice("20.00")
    chosen = shop.invoice("100.00")  # 107.50 with VAT
    bills = shop.client.get(f"/portal/{shop.tenant.slug}/billing").text
    assert f"/portal/{shop.tenant.slug}/pay/invoices/{chosen.id}" in bills

    hosted = shop.pay_now(f"invoices/{chosen.id}")
    assert hosted.startswith(shop.stripe.base_url)
    (checkout,) = shop.stripe.sessions.values()
    assert checkout["amount_total"] == 10750 and checkout["currency"] == "usd"
    assert checkout["customer_email"] == "payer@home.example"

    back = shop.pay_on_hosted_page(hosted)
    completed = shop.stripe.events[0]
    assert completed["type"] == "checkout.session.completed"
    answer = shop.deliver(completed)
    assert answer.status_code == 200, answer.text

    (payment,) = shop.payments()
    assert payment.amount == Decimal("107.50") and payment.method == "card"
    assert payment.gateway == "stripe" and payment.card_last4 == "4242"
    assert _invoice_status(shop, chosen.id) == "paid"
    assert _invoice_status(shop, older.id) == "issued"  # the customer chose the other one
    receipt_mail = [m for m in shop.inbox.wait_for(1) if "Payment received" in m["Subject"]]
    assert [m["To"] for m in receipt_mail] == ["payer@home.example"]
    assert "107.50 USD" in receipt_mail[0]["Subject"]

    returned = shop.client.get(back)  # the browser arrives after the webhook
    assert returned.status_code == 200
    assert payment.number in visible(returned.text)
    assert len(shop.payments()) == 1


def test_return_page_records_the_payment_and_the_webhooks_then_change_nothing(
        shop: Shop) -> None:
    shop.invoice("20.00")
    shop.invoice("30.00")
    back = shop.pay_on_hosted_page(shop.pay_now("balance"))
    page = shop.client.get(back)
    (payment,) = shop.payments()
    assert payment.amount == Decimal("53.75") and payment.unallocated == 0
    assert payment.number in visible(page.text)
    # both events, each twice, and out of order: still one payment
    completed, succeeded = shop.stripe.events
    for event in (succeeded, completed, succeeded, completed):
        assert shop.deliver(event).status_code == 200
    assert [p.id for p in shop.payments()] == [payment.id]
    events = shop.session.scalars(select(GatewayEvent).where(
        GatewayEvent.tenant_id == shop.tenant.id)).all()
    assert sorted(e.event_type for e in events) == ["checkout.session.completed",
                                                     "payment_intent.succeeded"]


def test_out_of_order_webhooks_record_one_payment(shop: Shop) -> None:
    chosen = shop.invoice("40.00")
    shop.pay_on_hosted_page(shop.pay_now(f"invoices/{chosen.id}"))
    completed, succeeded = shop.stripe.events
    assert shop.deliver(succeeded).json()["outcome"].startswith("recorded")
    assert shop.deliver(completed).json()["outcome"] == "already recorded"
    assert shop.deliver(succeeded).json()["outcome"] == "duplicate"
    (payment,) = shop.payments()
    assert payment.amount == Decimal("43.00")
    assert _invoice_status(shop, chosen.id) == "paid"


def test_forged_signature_is_refused_and_records_nothing(shop: Shop) -> None:
    chosen = shop.invoice("40.00")
    shop.pay_on_hosted_page(shop.pay_now(f"invoices/{chosen.id}"))
    completed, succeeded = shop.stripe.events
    forged = shop.deliver(completed, secret="whsec_somebody_else")
    assert forged.status_code == 400
    unsigned = shop.client.post(f"/webhooks/stripe/{shop.tenant.slug}",
                                content=shop.stripe.payload(succeeded))
    assert unsigned.status_code == 400
    assert shop.payments() == []
    assert shop.session.scalars(select(GatewayEvent)).all() == []
    assert _invoice_status(shop, chosen.id) == "issued"
    # the genuine event, delivered later, still counts
    assert shop.deliver(completed).status_code == 200
    assert len(shop.payments()) == 1


def test_another_customers_or_tenants_invoice_cannot_be_paid(shop: Shop,
                                                             other_tenant: Tenant) -> None:
    neighbour = make_customer(shop.session, shop.tenant)
    theirs = make_invoice(shop.session, shop.tenant, neighbour.id, "60.00")
    elsewhere_customer = make_customer(shop.session, other_tenant)
    elsewhere = make_invoice(shop.session, other_tenant, elsewhere_customer.id, "70.00")
    mine = shop.invoice("10.00")
    page = shop.client.get(f"/portal/{shop.tenant.slug}/pay/invoices/{mine.id}")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    for invoice_id in (theirs.id, elsewhere.id):
        url = f"/portal/{shop.tenant.slug}/pay/invoices/{invoice_id}"
        assert shop.client.get(url).status_code == 404
        started = shop.client.post(url, data={"csrf_token": token}, follow_redirects=False)
        assert started.status_code == 404
    assert shop.stripe.sessions == {}
    assert shop.payments() == []
