"""Direct debit gateways behind one interface. The customer sets up a mandate on the
gateway's hosted page; payments are then collected on the mandate with nobody present, and
settle days later: the gateway reports the outcome by webhook, so a collection is created
first and recorded as a payment only once the gateway confirms it."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from dotmac_isp.sdks.payments import RefundRequest, RefundResult

# Who may be named as a direct debit payment's gateway ("manual": collected elsewhere).
DIRECT_DEBIT_GATEWAYS = frozenset({"manual", "gocardless"})
# A payment in one of these states has the money (confirmed: it will be paid out).
COLLECTED = frozenset({"confirmed", "paid_out"})
# A payment in one of these states will never bring the money in.
FAILED = frozenset({"failed", "cancelled", "customer_approval_denied", "charged_back"})
# Mandates that payments can be created on (GoCardless lets a payment wait for a mandate
# that is still being submitted to the bank).
USABLE_MANDATES = frozenset({"pending_customer_approval", "pending_submission", "submitted",
                             "active"})


@dataclass(frozen=True)
class MandateSetupRequest:
    email: str
    given_name: str
    family_name: str
    company_name: str
    currency: str
    return_url: str  # where the customer's browser is sent after the hosted page
    exit_url: str  # where "back" on the hosted page goes
    metadata: dict[str, str]
    idempotency_key: str


@dataclass(frozen=True)
class MandateSetup:
    request_id: str  # the gateway's id of the setup (a billing request)
    url: str  # where the customer sets up the mandate


@dataclass(frozen=True)
class MandateInfo:
    mandate_id: str
    status: str
    gateway_customer_id: str = ""
    bank_name: str = ""
    account_ending: str = ""  # the last digits the gateway shows; never the whole number
    account_holder: str = ""
    scheme: str = ""
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Collection:
    mandate_id: str
    amount: Decimal
    currency: str
    description: str
    metadata: dict[str, str]
    idempotency_key: str


@dataclass(frozen=True)
class CollectionState:
    """What the gateway says about one payment on a mandate, read from its API."""

    reference: str
    status: str
    amount: Decimal
    currency: str
    mandate_id: str
    metadata: dict[str, str]
    charge_date: str = ""
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def collected(self) -> bool:
        return self.status in COLLECTED

    @property
    def failed(self) -> bool:
        return self.status in FAILED


@dataclass(frozen=True)
class DirectDebitEvent:
    """One event of a webhook delivery (a delivery carries several)."""

    id: str
    resource_type: str  # payments, mandates, billing_requests, refunds, ...
    action: str  # created, confirmed, failed, active, fulfilled, ...
    links: dict[str, str]
    details: dict[str, str]

    @property
    def reason(self) -> str:
        """The gateway's words for why (a failure's cause), with its code."""
        text = self.details.get("description") or self.details.get("cause") or self.action
        code = self.details.get("reason_code") or self.details.get("cause") or ""
        return f"{text} ({code})" if code and code not in text else text


class DirectDebitGateway(Protocol):
    name: str

    def start_mandate_setup(self, request: MandateSetupRequest) -> MandateSetup: ...

    def mandate_set_up(self, request_id: str) -> MandateInfo | None:
        """The mandate a setup created, once the customer has completed the hosted page."""
        ...

    def mandate(self, mandate_id: str) -> MandateInfo: ...

    def cancel_mandate(self, mandate_id: str) -> MandateInfo: ...

    def collect(self, collection: Collection) -> CollectionState:
        """Create a payment on the mandate; it settles later (see the webhooks)."""
        ...

    def payment(self, reference: str) -> CollectionState: ...

    def refund(self, request: RefundRequest, refunded_before: Decimal) -> RefundResult: ...

    def parse_webhook(self, payload: bytes, signature: str) -> list[DirectDebitEvent]:
        """The verified events; raises WebhookSignatureInvalid for anything not signed."""
        ...
