"""Online payments: a customer starts a hosted checkout for an invoice or the balance; the
return page and the gateway's webhooks converge on one payment recorded by billing's payment
service; staff refunds of such payments go back to the card (or the bank account, for a
direct debit)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing import service as billing
from dotmac_isp.modules.billing.gateways import accounts, stripe_gateway
from dotmac_isp.modules.billing.gateways import gocardless_accounts as gc_accounts
from dotmac_isp.modules.billing.gateways.methods import recorded_as
from dotmac_isp.modules.billing.gateways.models import (
    GatewayCheckout,
    GatewayEvent,
    GatewayRefund,
)
from dotmac_isp.modules.billing.models import Invoice, Payment, Refund
from dotmac_isp.modules.billing.payments import PaymentInput
from dotmac_isp.modules.billing.repository import InvoiceRepository
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.hotspot import purchases as voucher_purchases
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.sdks.payments import (
    CheckoutRequest,
    HostedPaymentGateway,
    RefundRequest,
    SettledPayment,
)
from dotmac_isp.shared.errors import InvalidState, NotFound
from dotmac_isp.shared.tenancy import TenantRepository

ZERO = Decimal("0")
SETTLING_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded",
                   "payment_intent.succeeded")


class CheckoutRepository(TenantRepository[GatewayCheckout]):
    model = GatewayCheckout
    not_found_message = "payment not found"


def payable(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID,
            invoice_id: uuid.UUID | None) -> tuple[list[Invoice], Decimal]:
    """The open invoices a payment would settle (one, or all for the balance) and the sum."""
    if invoice_id is not None:
        invoice = billing.customer_invoice(session, tenant_id, customer_id, invoice_id)
        chosen = [invoice] if invoice.balance_due > 0 and invoice.status != "void" else []
    else:
        chosen = billing.open_invoices_of(session, tenant_id, customer_id)
    return chosen, sum((invoice.balance_due for invoice in chosen), ZERO)


def start_checkout(session: Session, settings: Settings, tenant_id: uuid.UUID,
                   customer_id: uuid.UUID, invoice_id: uuid.UUID | None) -> str:
    """Open a hosted checkout for an invoice (or the whole balance); the URL to send the
    customer to."""
    gateway = accounts.enabled_gateway(session, settings, tenant_id)
    tenant = identity_service.get_tenant(session, tenant_id)
    customer = customers_service.get_customer(session, tenant_id, customer_id)
    chosen, amount = payable(session, tenant_id, customer_id, invoice_id)
    if amount <= 0:
        raise InvalidState("there is nothing to pay")
    if any(invoice.currency != tenant.currency for invoice in chosen):
        raise InvalidState(f"online payments are taken in {tenant.currency} only")
    checkout = CheckoutRepository(session, tenant_id).add(GatewayCheckout(
        gateway=gateway.name, customer_id=customer.id, amount=amount,
        currency=tenant.currency, invoice_ids=[str(invoice.id) for invoice in chosen]))
    session.flush()
    base = f"{settings.public_url.rstrip('/')}/portal/{tenant.slug}"
    numbers = ", ".join(invoice.number or "" for invoice in chosen)
    hosted = gateway.create_checkout(CheckoutRequest(
        amount=amount, currency=tenant.currency,
        description=f"{tenant.name}: invoice{'s' if len(chosen) > 1 else ''} {numbers}",
        success_url=f"{base}/pay/return/{checkout.id}", cancel_url=f"{base}/billing",
        metadata={"dotmac_checkout": str(checkout.id), "dotmac_tenant": str(tenant_id),
                  "customer_number": customer.number},
        customer_email=customer.email or "", idempotency_key=f"checkout-{checkout.id}"))
    checkout.session_id = hosted.session_id
    session.flush()
    return hosted.url


def _record(session: Session, tenant_id: uuid.UUID, checkout: GatewayCheckout,
            settled: SettledPayment) -> Payment:
    still_open = {invoice.id for invoice in
                  billing.open_invoices_of(session, tenant_id, checkout.customer_id)}
    # Money already taken is recorded even if staff settled an invoice meanwhile: it becomes
    # credit, allocated oldest first.
    wanted = [uuid.UUID(i) for i in checkout.invoice_ids if uuid.UUID(i) in still_open]
    payment, _ = billing.receive_payment_once(session, tenant_id, PaymentInput(
        customer_id=checkout.customer_id, amount=settled.amount,
        currency=settled.currency, received_on=billing.tenant_today(session, tenant_id),
        reference=settled.reference, idempotency_key=f"{checkout.gateway}:{settled.reference}",
        gateway=checkout.gateway, **recorded_as(settled), invoice_ids=wanted,
        notes=f"paid online ({checkout.gateway} checkout)"))
    return payment


def settle(session: Session, tenant_id: uuid.UUID, gateway: HostedPaymentGateway,
           reference: str, settings: Settings | None = None) -> tuple[Payment | None, str]:
    """Record the gateway payment `reference` once, as the gateway's API reports it:
    (payment, what happened). A hotspot voucher bought on the captive portal is no customer
    payment: it issues the voucher instead."""
    settled = gateway.payment(reference)
    if not settled.succeeded:
        return None, f"not succeeded: {settled.failure_message or 'pending'}"
    if settled.metadata.get("dotmac_tenant") != str(tenant_id):
        return None, "not a payment of this account's checkouts"
    if voucher_purchases.MARK in settled.metadata:
        return None, voucher_purchases.fulfil(session, settings, tenant_id, settled)[1]
    if "dotmac_invoice" in settled.metadata and "dotmac_checkout" not in settled.metadata:
        return _settle_autopay(session, tenant_id, gateway, settled)
    try:
        checkout_id = uuid.UUID(settled.metadata.get("dotmac_checkout", ""))
    except ValueError:
        return None, "not started here"
    checkout = CheckoutRepository(session, tenant_id).get(checkout_id, for_update=True)
    if checkout.payment_id is not None:
        return billing.get_payment(session, tenant_id, checkout.payment_id), "already recorded"
    payment = _record(session, tenant_id, checkout, settled)
    checkout.status, checkout.payment_id = "paid", payment.id
    checkout.payment_intent_id = settled.reference
    session.flush()
    return payment, f"recorded {payment.number}"


def _settle_autopay(session: Session, tenant_id: uuid.UUID, gateway: HostedPaymentGateway,
                    settled: SettledPayment) -> tuple[Payment | None, str]:
    """An autopay charge the job may not have recorded (it stopped after the gateway took
    the money): recorded once, by the same idempotency key the job uses."""
    try:
        invoice_id = uuid.UUID(settled.metadata["dotmac_invoice"])
    except ValueError:
        return None, "not started here"
    invoice = InvoiceRepository(session, tenant_id).find(invoice_id)
    if invoice is None:
        return None, "not started here"
    still_open = {i.id for i in billing.open_invoices_of(session, tenant_id,
                                                         invoice.customer_id)}
    payment, created = billing.receive_payment_once(session, tenant_id, PaymentInput(
        customer_id=invoice.customer_id, amount=settled.amount,
        currency=settled.currency, received_on=billing.tenant_today(session, tenant_id),
        reference=settled.reference, idempotency_key=f"{gateway.name}:{settled.reference}",
        gateway=gateway.name, **recorded_as(settled),
        invoice_ids=[invoice.id] if invoice.id in still_open else [], notes="autopay"))
    return payment, f"recorded {payment.number}" if created else "already recorded"


def settle_returned(session: Session, settings: Settings, tenant_id: uuid.UUID,
                    customer_id: uuid.UUID, checkout_id: uuid.UUID) -> Payment | None:
    """The customer is back from the hosted page: the payment, once the gateway confirms it."""
    checkout = CheckoutRepository(session, tenant_id).find(checkout_id)
    if checkout is None or checkout.customer_id != customer_id:
        raise CheckoutRepository.not_found()
    if checkout.payment_id is not None:
        return billing.get_payment(session, tenant_id, checkout.payment_id)
    account = accounts.find_account(session, tenant_id, checkout.gateway)
    if account is None or not checkout.session_id:
        return None
    gateway = accounts.gateway_of(settings, account)
    reference = gateway.checkout_payment(checkout.session_id)
    if reference is None:
        return None
    return settle(session, tenant_id, gateway, reference, settings)[0]


def handle_webhook(session: Session, settings: Settings, key: str, payload: bytes,
                   signature: str) -> str:
    """Verify and apply one webhook delivery; each event id is applied once."""
    account = accounts.account_for_webhook(session, key)
    gateway = accounts.gateway_of(settings, account)
    event = gateway.parse_webhook(payload, signature)  # a forged one raises: 400
    tenant_id = account.tenant_id
    try:
        with session.begin_nested():
            row = GatewayEvent(tenant_id=tenant_id, gateway=gateway.name, event_id=event.id,
                               event_type=event.type[:100],
                               object_id=str(event.data.get("id", ""))[:255])
            session.add(row)
    except IntegrityError:
        return "duplicate"
    reference = None
    if event.type == "payment_intent.succeeded":
        reference = event.data.get("id")
    elif event.type in SETTLING_EVENTS and event.data.get("payment_status") == "paid":
        reference = event.data.get("payment_intent")
    if not isinstance(reference, str) or not reference:
        row.outcome = "ignored"
        return row.outcome
    row.outcome = settle(session, tenant_id, gateway, reference, settings)[1][:300]
    session.flush()
    return row.outcome


def refund_payment(session: Session, settings: Settings, tenant_id: uuid.UUID,
                   payment_id: uuid.UUID, amount: Decimal, reason: str) -> Refund:
    """Refund in the ledger; a payment taken online (a card through Stripe, a direct debit
    through GoCardless) is also paid back through its gateway."""
    payment = billing.get_payment(session, tenant_id, payment_id)
    refunded_before = payment.amount_refunded
    refund = billing.refund_payment(session, tenant_id, payment_id, amount, reason)
    request = RefundRequest(reference=payment.gateway_reference, amount=refund.amount,
                            currency=refund.currency, reason=reason,
                            idempotency_key=f"refund-{refund.id}")
    if payment.gateway == stripe_gateway.NAME:
        account = accounts.find_account(session, tenant_id, payment.gateway)
        if account is None:
            raise NotFound("the Stripe account this payment was taken with is not set up any "
                           "more; refund it in Stripe and record the refund by hand")
        result = accounts.gateway_of(settings, account).refund(request)
    elif payment.gateway == gc_accounts.NAME:
        gateway = gc_accounts.account_gateway(session, settings, tenant_id)
        if gateway is None:
            raise NotFound("the GoCardless account this payment was collected with is not set "
                           "up any more; refund it in GoCardless and record the refund by hand")
        result = gateway.refund(request, refunded_before)
    else:
        return refund
    session.add(GatewayRefund(tenant_id=tenant_id, refund_id=refund.id, payment_id=payment.id,
                              gateway=payment.gateway, gateway_refund_id=result.reference,
                              status=result.status, response=result.raw))
    session.flush()
    return refund
