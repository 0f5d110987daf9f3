"""Stripe through its official SDK: Checkout Sessions for one-off payments, PaymentIntents as
the truth about a payment, refunds to the card, and webhooks verified with Stripe's own
signature check."""

from __future__ import annotations

from typing import Any

import stripe

from dotmac_isp.sdks.core.exceptions import PaymentGatewayError
from dotmac_isp.sdks.payments import (
    CardSetup,
    CardSetupRequest,
    CheckoutRequest,
    HostedCheckout,
    OffSessionCharge,
    RefundRequest,
    RefundResult,
    SavedCardInfo,
    SettledPayment,
    WebhookEvent,
    WebhookSignatureInvalid,
    from_minor_units,
    to_minor_units,
)

NAME = "stripe"


def _plain(obj: Any) -> dict[str, Any]:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj or {})


def _whole(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


class StripeGateway:
    """One tenant's Stripe account."""

    name = NAME

    def __init__(self, secret_key: str, webhook_secret: str, *, api_base: str | None = None,
                 timeout_seconds: float = 20.0):
        self._webhook_secret = webhook_secret
        self._client = stripe.StripeClient(
            secret_key, base_addresses={"api": api_base} if api_base else None,
            max_network_retries=1,
            http_client=stripe.new_default_http_client(timeout=timeout_seconds))

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except stripe.StripeError as exc:
            message = getattr(exc, "user_message", None) or str(exc) or type(exc).__name__
            raise PaymentGatewayError(f"Stripe refused to {what}: {message}") from exc

    def create_checkout(self, request: CheckoutRequest) -> HostedCheckout:
        currency = request.currency.lower()
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [{"quantity": 1, "price_data": {
                "currency": currency,
                "unit_amount": to_minor_units(request.amount, request.currency),
                "product_data": {"name": request.description[:250]}}}],
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "metadata": request.metadata,
            "payment_intent_data": {"metadata": request.metadata},
        }
        if request.customer_email:
            params["customer_email"] = request.customer_email
        options: dict[str, Any] = {}
        if request.idempotency_key:
            options["idempotency_key"] = request.idempotency_key
        session = self._call("start the checkout", self._client.v1.checkout.sessions.create,
                             params=params, options=options)
        return HostedCheckout(session_id=str(session.id), url=str(session.url))

    def checkout_payment(self, session_id: str) -> str | None:
        session = _plain(self._call("read the checkout",
                                    self._client.v1.checkout.sessions.retrieve, session_id))
        if session.get("payment_status") != "paid":
            return None
        intent = session.get("payment_intent")
        return intent if isinstance(intent, str) else (intent or {}).get("id")

    def payment(self, reference: str) -> SettledPayment:
        intent = self._call("read the payment", self._client.v1.payment_intents.retrieve,
                            reference, params={"expand": ["latest_charge"]})
        return self._settled(_plain(intent))

    def _settled(self, raw: dict[str, Any]) -> SettledPayment:
        charge = raw.get("latest_charge") if isinstance(raw.get("latest_charge"), dict) else {}
        details = (charge or {}).get("payment_method_details") or {}
        # the means: "card", or "sepa_debit", "ideal", "link" ... each with its own details
        kind = str(details.get("type") or "card")[:32]
        means = details.get(kind) or {}
        card = means if kind == "card" else {}
        last4 = str(means.get("last4") or means.get("iban_last4") or "")
        currency = str(raw.get("currency", "")).upper()
        error = raw.get("last_payment_error") or {}
        return SettledPayment(
            reference=raw["id"], succeeded=raw.get("status") == "succeeded",
            amount=from_minor_units(int(raw.get("amount_received") or 0), currency),
            currency=currency, metadata={k: str(v) for k, v in
                                         (raw.get("metadata") or {}).items()},
            card_brand=str(card.get("brand") or "")[:20], card_last4=last4[-4:],
            method_type=kind, failure_message=str(error.get("message") or ""),
            raw={"id": raw["id"], "status": raw.get("status"),
                 "charge": (charge or {}).get("id")})

    def refund(self, request: RefundRequest) -> RefundResult:
        refund = self._call("refund the payment", self._client.v1.refunds.create, params={
            "payment_intent": request.reference,
            "amount": to_minor_units(request.amount, request.currency),
            "metadata": {"reason": request.reason[:500]}},
            options={"idempotency_key": request.idempotency_key})
        raw = _plain(refund)
        return RefundResult(reference=raw["id"], status=str(raw.get("status", "")),
                            raw={"id": raw["id"], "status": raw.get("status"),
                                 "amount": raw.get("amount")})

    def create_card_setup(self, request: CardSetupRequest) -> CardSetup:
        customer_id = request.gateway_customer_id
        if not customer_id:
            customer = self._call("register the customer", self._client.v1.customers.create,
                                  params={"email": request.email, "name": request.name,
                                          "metadata": request.metadata})
            customer_id = str(customer.id)
        session = self._call("start saving the card", self._client.v1.checkout.sessions.create,
                             params={"mode": "setup", "customer": customer_id,
                                     "payment_method_types": ["card"],
                                     "success_url": request.success_url,
                                     "cancel_url": request.cancel_url,
                                     "metadata": request.metadata})
        return CardSetup(customer_id, str(session.id), str(session.url))

    def saved_card(self, session_id: str) -> SavedCardInfo | None:
        session = _plain(self._call(
            "read the card setup", self._client.v1.checkout.sessions.retrieve, session_id,
            params={"expand": ["setup_intent.payment_method"]}))
        intent = session.get("setup_intent")
        if session.get("status") != "complete" or not isinstance(intent, dict):
            return None
        method = intent.get("payment_method")
        if intent.get("status") != "succeeded" or not isinstance(method, dict):
            return None
        card = method.get("card") or {}
        return SavedCardInfo(str(method["id"]), str(card.get("brand") or "")[:20],
                             str(card.get("last4") or ""), _whole(card.get("exp_month")),
                             _whole(card.get("exp_year")))

    def charge_saved_card(self, charge: OffSessionCharge) -> SettledPayment:
        try:
            intent = self._client.v1.payment_intents.create(params={
                "amount": to_minor_units(charge.amount, charge.currency),
                "currency": charge.currency.lower(), "customer": charge.gateway_customer_id,
                "payment_method": charge.payment_method_id, "off_session": True,
                "confirm": True, "description": charge.description[:250],
                "metadata": charge.metadata, "expand": ["latest_charge"]},
                options={"idempotency_key": charge.idempotency_key})
        except stripe.CardError as exc:  # a decline: Stripe's reason is kept
            error = exc.error
            intent_raw = _plain(getattr(error, "payment_intent", None) or {})
            reason = str(getattr(error, "message", "") or exc.user_message or "declined")
            code = getattr(error, "decline_code", None) or getattr(error, "code", None)
            return SettledPayment(
                reference=str(intent_raw.get("id", "")), succeeded=False, amount=charge.amount,
                currency=charge.currency.upper(), metadata=charge.metadata,
                failure_message=f"{reason} ({code})" if code else reason)
        except stripe.StripeError as exc:
            raise PaymentGatewayError(f"Stripe refused to charge the card: {exc}") from exc
        return self._settled(_plain(intent))

    def parse_webhook(self, payload: bytes, signature: str) -> WebhookEvent:
        try:
            event = stripe.Webhook.construct_event(payload, signature, self._webhook_secret)
        except (stripe.SignatureVerificationError, ValueError) as exc:
            raise WebhookSignatureInvalid("the webhook signature does not verify") from exc
        raw = _plain(event)
        return WebhookEvent(id=raw["id"], type=raw["type"],
                            data=(raw.get("data") or {}).get("object") or {})
