"""Payment gateways behind one interface. 'manual' records card payments taken elsewhere
(a terminal in the shop, the bank's own portal); hosted gateways (Stripe) take the card on
their own page, confirm it by API and webhook, and refund back to the card."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from dotmac_isp.sdks.core.exceptions import PaymentGatewayError


@dataclass(frozen=True)
class CardCharge:
    amount: Decimal
    currency: str
    reference: str  # the gateway's or terminal's transaction reference
    card_brand: str = ""
    card_last4: str = ""
    idempotency_key: str | None = None


@dataclass(frozen=True)
class GatewayResult:
    approved: bool
    reference: str
    message: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


class PaymentGateway(Protocol):
    name: str

    def charge(self, charge: CardCharge) -> GatewayResult: ...


class ManualGateway:
    """Card payments already taken outside the platform: nothing to call, only to record."""

    name = "manual"

    def charge(self, charge: CardCharge) -> GatewayResult:
        if not charge.reference.strip():
            raise PaymentGatewayError("a manual card payment needs the terminal's reference")
        return GatewayResult(approved=True, reference=charge.reference.strip(),
                             message="recorded manually",
                             raw={"brand": charge.card_brand, "last4": charge.card_last4})


class CapturedByGateway:
    """A payment a hosted gateway has already captured (its API confirmed it): recording it
    calls nothing, the reference is the gateway's payment id."""

    def __init__(self, name: str):
        self.name = name

    def charge(self, charge: CardCharge) -> GatewayResult:
        if not charge.reference.strip():
            raise PaymentGatewayError(f"a {self.name} payment needs the gateway's payment id")
        return GatewayResult(approved=True, reference=charge.reference.strip(),
                             message=f"captured by {self.name}",
                             raw={"brand": charge.card_brand, "last4": charge.card_last4})


# Currencies without minor units (ISO 4217 exponent 0) as card gateways count them.
_ZERO_DECIMAL = frozenset({"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG",
                           "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"})


def to_minor_units(amount: Decimal, currency: str) -> int:
    """An amount in the currency's smallest unit (cents); refuses fractions of it."""
    exponent = 0 if currency.upper() in _ZERO_DECIMAL else 2
    minor = amount.scaleb(exponent)
    if minor != minor.to_integral_value():
        raise PaymentGatewayError(f"{amount} {currency} is not a whole number of minor units")
    return int(minor)


def from_minor_units(minor: int, currency: str) -> Decimal:
    exponent = 0 if currency.upper() in _ZERO_DECIMAL else 2
    return Decimal(minor).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent))


@dataclass(frozen=True)
class CheckoutRequest:
    amount: Decimal
    currency: str
    description: str
    success_url: str  # the gateway appends nothing; include the session placeholder if needed
    cancel_url: str
    metadata: dict[str, str]
    customer_email: str = ""
    idempotency_key: str | None = None


@dataclass(frozen=True)
class HostedCheckout:
    session_id: str
    url: str  # where the customer pays


@dataclass(frozen=True)
class SettledPayment:
    """What the gateway says about one payment, read from its API (never from a form)."""

    reference: str  # the gateway's payment id
    succeeded: bool
    amount: Decimal
    currency: str
    metadata: dict[str, str]
    card_brand: str = ""
    card_last4: str = ""  # not a card: the bank account's last four, when the gateway says
    method_type: str = "card"  # the gateway's name for how it was paid (sepa_debit, ideal ...)
    failure_message: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RefundRequest:
    reference: str  # the gateway's payment id
    amount: Decimal
    currency: str
    reason: str
    idempotency_key: str


@dataclass(frozen=True)
class RefundResult:
    reference: str
    status: str
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WebhookEvent:
    id: str
    type: str
    data: dict[str, Any]  # the event's object


@dataclass(frozen=True)
class CardSetupRequest:
    gateway_customer_id: str  # "": the gateway creates its customer record first
    email: str
    name: str
    success_url: str
    cancel_url: str
    metadata: dict[str, str]


@dataclass(frozen=True)
class CardSetup:
    gateway_customer_id: str
    session_id: str
    url: str


@dataclass(frozen=True)
class SavedCardInfo:
    payment_method_id: str
    card_brand: str
    card_last4: str
    exp_month: int | None = None
    exp_year: int | None = None


@dataclass(frozen=True)
class OffSessionCharge:
    gateway_customer_id: str
    payment_method_id: str
    amount: Decimal
    currency: str
    description: str
    metadata: dict[str, str]
    idempotency_key: str


class HostedPaymentGateway(Protocol):
    """A gateway that takes the card on its own page and reports back."""

    name: str

    def create_checkout(self, request: CheckoutRequest) -> HostedCheckout: ...

    def checkout_payment(self, session_id: str) -> str | None:
        """The payment id of a checkout session, once the customer has paid."""
        ...

    def payment(self, reference: str) -> SettledPayment: ...

    def refund(self, request: RefundRequest) -> RefundResult: ...

    def create_card_setup(self, request: CardSetupRequest) -> CardSetup: ...

    def saved_card(self, session_id: str) -> SavedCardInfo | None:
        """The card saved in a setup checkout, once the customer has completed it."""
        ...

    def charge_saved_card(self, charge: OffSessionCharge) -> SettledPayment:
        """Charge a saved card with the customer away; a decline is a result, not an error."""
        ...

    def parse_webhook(self, payload: bytes, signature: str) -> WebhookEvent:
        """The verified event; raises WebhookSignatureInvalid for anything not signed."""
        ...


class WebhookSignatureInvalid(PaymentGatewayError):
    """A webhook whose signature does not verify with the account's secret."""

    status_code = 400
    code = "webhook_signature_invalid"


_gateways: dict[str, PaymentGateway] = {"manual": ManualGateway(),
                                        "stripe": CapturedByGateway("stripe")}


def register(gateway: PaymentGateway) -> None:
    _gateways[gateway.name] = gateway


def get(name: str) -> PaymentGateway:
    try:
        return _gateways[name]
    except KeyError:
        raise PaymentGatewayError(f"unknown payment gateway {name!r}; known: "
                                  f"{', '.join(sorted(_gateways))}") from None
