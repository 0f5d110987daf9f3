"""GoCardless through its official SDK (gocardless-pro): mandates set up on the Billing
Request Flow hosted page, payments created on a mandate and followed by webhook, refunds, and
webhooks verified with the SDK's own signature check."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import gocardless_pro
from gocardless_pro import errors as gc_errors
from gocardless_pro import webhooks as gc_webhooks

from dotmac_isp.sdks.core.exceptions import PaymentGatewayError
from dotmac_isp.sdks.direct_debit import (
    Collection,
    CollectionState,
    DirectDebitEvent,
    MandateInfo,
    MandateSetup,
    MandateSetupRequest,
)
from dotmac_isp.sdks.payments import (
    RefundRequest,
    RefundResult,
    WebhookSignatureInvalid,
    from_minor_units,
    to_minor_units,
)

NAME = "gocardless"
ENVIRONMENTS = {"sandbox": "sandbox", "live": "live"}


def _strings(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in (value or {}).items() if v is not None}


class GoCardlessGateway:
    """One tenant's GoCardless account."""

    name = NAME

    def __init__(self, access_token: str, webhook_secret: str, *, environment: str = "sandbox",
                 base_url: str | None = None, timeout_seconds: float = 20.0):
        self._webhook_secret = webhook_secret
        self._client = gocardless_pro.Client(
            access_token=access_token, environment=None if base_url else
            ENVIRONMENTS.get(environment, "sandbox"), base_url=base_url,
            timeout=timeout_seconds)

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            return dict(fn(*args, **kwargs).attributes)
        except gc_errors.ApiError as exc:
            raise PaymentGatewayError(f"GoCardless refused to {what}: {exc}") from exc
        except (gc_errors.GoCardlessProError, OSError) as exc:  # requests' errors are OSErrors
            raise PaymentGatewayError(f"GoCardless could not be reached to {what}: "
                                      f"{type(exc).__name__}") from exc

    def start_mandate_setup(self, request: MandateSetupRequest) -> MandateSetup:
        billing_request = self._call(
            "start the mandate setup", self._client.billing_requests.create, params={
                "mandate_request": {"currency": request.currency.upper(),
                                    "metadata": request.metadata},
                "metadata": request.metadata},
            headers={"Idempotency-Key": request.idempotency_key})
        prefilled = {k: v for k, v in (("email", request.email),
                                       ("given_name", request.given_name),
                                       ("family_name", request.family_name),
                                       ("company_name", request.company_name)) if v}
        flow = self._call("open the mandate page", self._client.billing_request_flows.create,
                          params={"redirect_uri": request.return_url,
                                  "exit_uri": request.exit_url,
                                  "prefilled_customer": prefilled,
                                  "links": {"billing_request": billing_request["id"]}})
        return MandateSetup(request_id=str(billing_request["id"]),
                            url=str(flow["authorisation_url"]))

    def mandate_set_up(self, request_id: str) -> MandateInfo | None:
        billing_request = self._call("read the mandate setup",
                                     self._client.billing_requests.get, request_id)
        mandate_id = (billing_request.get("links") or {}).get("mandate_request_mandate")
        if billing_request.get("status") != "fulfilled" or not mandate_id:
            return None
        return self.mandate(str(mandate_id))

    def mandate(self, mandate_id: str) -> MandateInfo:
        mandate = self._call("read the mandate", self._client.mandates.get, mandate_id)
        links = mandate.get("links") or {}
        account: dict[str, Any] = {}
        if links.get("customer_bank_account"):
            account = self._call("read the bank account",
                                 self._client.customer_bank_accounts.get,
                                 links["customer_bank_account"])
        return MandateInfo(
            mandate_id=str(mandate["id"]), status=str(mandate.get("status", "")),
            gateway_customer_id=str(links.get("customer") or ""),
            bank_name=str(account.get("bank_name") or "")[:100],
            account_ending=str(account.get("account_number_ending") or "")[-4:],
            account_holder=str(account.get("account_holder_name") or "")[:200],
            scheme=str(mandate.get("scheme") or ""), metadata=_strings(mandate.get("metadata")))

    def cancel_mandate(self, mandate_id: str) -> MandateInfo:
        self._call("cancel the mandate", self._client.mandates.cancel, mandate_id, params={})
        return self.mandate(mandate_id)

    def _state(self, raw: dict[str, Any]) -> CollectionState:
        currency = str(raw.get("currency") or "").upper()
        return CollectionState(
            reference=str(raw["id"]), status=str(raw.get("status") or ""),
            amount=from_minor_units(int(raw.get("amount") or 0), currency), currency=currency,
            mandate_id=str((raw.get("links") or {}).get("mandate") or ""),
            metadata=_strings(raw.get("metadata")), charge_date=str(raw.get("charge_date") or ""),
            raw={"id": raw["id"], "status": raw.get("status"),
                 "charge_date": raw.get("charge_date")})

    def collect(self, collection: Collection) -> CollectionState:
        payment = self._call("collect the payment", self._client.payments.create, params={
            "amount": to_minor_units(collection.amount, collection.currency),
            "currency": collection.currency.upper(),
            "description": collection.description[:100],
            "metadata": collection.metadata,
            "links": {"mandate": collection.mandate_id}},
            headers={"Idempotency-Key": collection.idempotency_key})
        return self._state(payment)

    def payment(self, reference: str) -> CollectionState:
        return self._state(self._call("read the payment", self._client.payments.get, reference))

    def refund(self, request: RefundRequest, refunded_before: Decimal) -> RefundResult:
        amount = to_minor_units(request.amount, request.currency)
        refund = self._call("refund the payment", self._client.refunds.create, params={
            "amount": amount,
            # GoCardless's guard against refunding twice: the payment's refunds in total
            "total_amount_confirmation":
                to_minor_units(refunded_before, request.currency) + amount,
            "metadata": {"reason": request.reason[:500]},
            "links": {"payment": request.reference}},
            headers={"Idempotency-Key": request.idempotency_key})
        return RefundResult(reference=str(refund["id"]), status=str(refund.get("status", "")),
                            raw={"id": refund["id"], "status": refund.get("status"),
                                 "amount": refund.get("amount")})

    def parse_webhook(self, payload: bytes, signature: str) -> list[DirectDebitEvent]:
        try:
            events = gc_webhooks.parse(payload, self._webhook_secret, signature)
        except gc_errors.InvalidSignatureError as exc:
            raise WebhookSignatureInvalid("the webhook signature does not verify") from exc
        except (ValueError, KeyError, TypeError) as exc:
            raise WebhookSignatureInvalid("the webhook body is not GoCardless's events "
                                          "JSON") from exc
        return [DirectDebitEvent(
            id=str(event.attributes["id"]), resource_type=str(event.resource_type or ""),
            action=str(event.action or ""), links=_strings(event.attributes.get("links")),
            details=_strings(event.attributes.get("details"))) for event in events]
