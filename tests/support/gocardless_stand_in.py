"""A stand-in for GoCardless's API on loopback: it exists because GoCardless cannot be
reached from the machines the tests run on. It speaks the JSON the gocardless-pro SDK sends
and reads (resources wrapped in their plural name, errors as {"error": {type, errors}}, an
idempotency conflict answered 409 with the conflicting resource's id): billing requests and
their hosted flow (a page whose button sets up the mandate and sends the customer back),
mandates, customer bank accounts, payments, refunds. It keeps the events GoCardless would send;
`webhook` wraps events in a delivery body and `sign` signs it the way GoCardless signs
webhooks (Webhook-Signature: hex HMAC-SHA256 of the body with the endpoint's secret)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from tests.support.http_stand_in import QuietHandler, serving

ACCESS_TOKEN = "sandbox_standin_0123456789"
WEBHOOK_SECRET = "gc-webhook-secret-standin"
BANK = {"bank_name": "BARCLAYS BANK PLC", "account_number_ending": "11",
        "account_holder_name": "PAT PAYER"}


def sign(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _error(status: int, kind: str, message: str, reason: str,
           links: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    detail: dict[str, Any] = {"reason": reason, "message": message}
    if links:
        detail["links"] = links
    return status, {"error": {"type": kind, "code": status, "message": message,
                              "documentation_url": "", "request_id": "standin",
                              "errors": [detail]}}


@dataclass
class StandIn:
    base_url: str = ""
    access_token: str = ACCESS_TOKEN
    billing_requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    flows: dict[str, dict[str, Any]] = field(default_factory=dict)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    bank_accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    mandates: dict[str, dict[str, Any]] = field(default_factory=dict)
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    created: dict[str, str] = field(default_factory=dict)  # idempotency key -> resource id
    lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    def event(self, resource_type: str, action: str, links: dict[str, str],
              **details: str) -> dict[str, Any]:
        event = {"id": self.new_id("EV"), "created_at": datetime.now(UTC).isoformat(),
                 "resource_type": resource_type, "action": action, "links": links,
                 "details": {"origin": "gocardless", **details}, "metadata": {}}
        self.events.append(event)
        return event

    def events_of(self, resource_type: str, action: str) -> list[dict[str, Any]]:
        return [e for e in self.events
                if e["resource_type"] == resource_type and e["action"] == action]

    def webhook(self, *events: dict[str, Any]) -> bytes:
        """One delivery's body: GoCardless sends several events at once."""
        return json.dumps({"events": list(events),
                           "meta": {"webhook_id": self.new_id("WB")}}).encode()

    # -- what happens at GoCardless ---------------------------------------------------------
    def complete_flow(self, flow_id: str) -> str:
        """The customer confirms their bank details on the hosted page: where they go next."""
        flow = self.flows[flow_id]
        request = self.billing_requests[flow["links"]["billing_request"]]
        customer = {"id": self.new_id("CU"), **(flow.get("prefilled_customer") or {})}
        account = {"id": self.new_id("BA"), "currency": request["mandate_request"]["currency"],
                   **BANK, "links": {"customer": customer["id"]}}
        mandate = {"id": self.new_id("MD"), "status": "pending_submission", "scheme": "bacs",
                   "reference": self.new_id("REF-"),
                   "metadata": request["mandate_request"].get("metadata") or {},
                   "links": {"customer": customer["id"],
                             "customer_bank_account": account["id"]}}
        self.customers[customer["id"]] = customer
        self.bank_accounts[account["id"]] = account
        self.mandates[mandate["id"]] = mandate
        request["status"] = "fulfilled"
        request["links"].update(customer=customer["id"], customer_bank_account=account["id"],
                                mandate_request_mandate=mandate["id"])
        self.event("billing_requests", "fulfilled", {"billing_request": request["id"]},
                   cause="billing_request_fulfilled", description="fulfilled")
        self.event("mandates", "created", {"mandate": mandate["id"]}, cause="mandate_created",
                   description="Mandate created via the API.")
        return str(flow["redirect_uri"])

    def mandate_becomes(self, mandate_id: str, status: str, cause: str = "",
                        description: str = "") -> dict[str, Any]:
        self.mandates[mandate_id]["status"] = status
        return self.event("mandates", status, {"mandate": mandate_id},
                          cause=cause or f"mandate_{status}",
                          description=description or f"The mandate is {status}.")

    def payment_becomes(self, payment_id: str, status: str, *, cause: str = "",
                        description: str = "", reason_code: str = "") -> dict[str, Any]:
        """The payment moves on at GoCardless (the bank collected it, or it failed)."""
        self.payments[payment_id]["status"] = status
        details = {"cause": cause or f"payment_{status}",
                   "description": description or f"The payment is {status}."}
        if reason_code:
            details["reason_code"] = reason_code
        return self.event("payments", status, {"payment": payment_id}, **details)

    # -- API ---------------------------------------------------------------------------------
    def create(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if path == "/billing_requests":
            data = body["billing_requests"]
            found = {"id": self.new_id("BRQ"), "status": "pending",
                     "mandate_request": dict(data.get("mandate_request") or {}),
                     "metadata": data.get("metadata") or {}, "links": {}}
            self.billing_requests[found["id"]] = found
            return 201, {"billing_requests": found}
        if path == "/billing_request_flows":
            data = body["billing_request_flows"]
            if data.get("links", {}).get("billing_request") not in self.billing_requests:
                return _error(422, "invalid_api_usage", "Billing request not found",
                              "resource_not_found")
            flow = {"id": self.new_id("BRF"), **data}
            flow["authorisation_url"] = f"{self.base_url}/flow/{flow['id']}"
            self.flows[flow["id"]] = flow
            return 201, {"billing_request_flows": flow}
        if path == "/payments":
            return self.create_payment(body["payments"])
        if path == "/refunds":
            return self.create_refund(body["refunds"])
        return _error(404, "invalid_api_usage", f"no such path {path}", "path_not_found")

    def create_payment(self, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        mandate = self.mandates.get(data.get("links", {}).get("mandate", ""))
        if mandate is None:
            return _error(422, "invalid_api_usage", "Mandate not found", "resource_not_found")
        if mandate["status"] in ("cancelled", "failed", "expired", "blocked"):
            return _error(422, "invalid_state", "The mandate is not active",
                          "mandate_is_inactive")
        payment = {"id": self.new_id("PM"), "amount": int(data["amount"]),
                   "currency": data["currency"], "status": "pending_submission",
                   "description": data.get("description"),
                   "charge_date": str(date.today() + timedelta(days=3)),
                   "metadata": data.get("metadata") or {}, "amount_refunded": 0,
                   "links": {"mandate": mandate["id"], "creditor": "CR000STANDIN"}}
        self.payments[payment["id"]] = payment
        self.event("payments", "created", {"payment": payment["id"]},
                   cause="payment_created", description="Payment created via the API.")
        return 201, {"payments": payment}

    def create_refund(self, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        payment = self.payments.get(data.get("links", {}).get("payment", ""))
        if payment is None or payment["status"] not in ("confirmed", "paid_out"):
            return _error(422, "invalid_state", "This payment cannot be refunded",
                          "payment_not_refundable")
        amount = int(data["amount"])
        total = payment["amount_refunded"] + amount
        if int(data.get("total_amount_confirmation", -1)) != total:
            return _error(422, "invalid_state", "The refunds' total does not match",
                          "total_amount_confirmation_invalid")
        if total > payment["amount"]:
            return _error(422, "invalid_state", "Refunds exceed the payment's amount",
                          "refund_payment_invalid_state")
        payment["amount_refunded"] = total
        refund = {"id": self.new_id("RF"), "amount": amount, "currency": payment["currency"],
                  "status": "created", "metadata": data.get("metadata") or {},
                  "links": {"payment": payment["id"]}}
        self.refunds.append(refund)
        self.event("refunds", "created", {"refund": refund["id"]}, cause="refund_created",
                   description="The refund has been created.")
        return 201, {"refunds": refund}

    def read(self, parts: list[str]) -> tuple[int, dict[str, Any]]:
        tables = {"billing_requests": self.billing_requests, "mandates": self.mandates,
                  "customer_bank_accounts": self.bank_accounts, "payments": self.payments,
                  "refunds": {r["id"]: r for r in self.refunds}}
        if len(parts) == 2 and parts[0] in tables and parts[1] in tables[parts[0]]:
            return 200, {parts[0]: tables[parts[0]][parts[1]]}
        return _error(404, "invalid_api_usage", "Resource not found", "resource_not_found")


def _handler(state: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(QuietHandler):
        def _authorised(self) -> bool:
            if self.headers.get("Authorization") == f"Bearer {state.access_token}":
                return True
            self._send(*_error(401, "invalid_api_usage", "Access token not found",
                               "access_token_not_found"))
            return False

        def do_GET(self) -> None:
            parts = urlsplit(self.path).path.strip("/").split("/")
            with state.lock:
                if parts[0] == "flow" and parts[1] in state.flows:
                    self._send(200, "<html><body><h1>Set up a Direct Debit</h1>"
                                    "<form method='post'><button>Confirm</button></form>"
                                    "</body></html>")
                    return
                if self._authorised():
                    self._send(*state.read(parts))

        def do_POST(self) -> None:
            path = urlsplit(self.path).path.rstrip("/")
            parts = path.strip("/").split("/")
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            with state.lock:
                if parts[0] == "flow" and parts[1] in state.flows:
                    self._send(303, "", {"Location": state.complete_flow(parts[1])})
                    return
                if not self._authorised():
                    return
                body = json.loads(raw or b"{}")
                if len(parts) == 4 and parts[0] == "mandates" and parts[2:] == [
                        "actions", "cancel"] and parts[1] in state.mandates:
                    state.mandate_becomes(parts[1], "cancelled", "mandate_cancelled",
                                          "The mandate was cancelled at your request.")
                    self._send(200, {"mandates": state.mandates[parts[1]]})
                    return
                key = self.headers.get("Idempotency-Key")
                if key and key in state.created:
                    self._send(*_error(409, "invalid_state", "A resource has already been "
                                       "created with this idempotency key",
                                       "idempotent_creation_conflict",
                                       {"conflicting_resource_id": state.created[key]}))
                    return
                status, answer = state.create(path, body)
                if key and status < 300:
                    state.created[key] = next(iter(answer.values()))["id"]
                self._send(status, answer)

    return Handler


@contextmanager
def gocardless_stand_in() -> Iterator[StandIn]:
    state = StandIn()
    with serving(_handler(state)) as base_url:
        state.base_url = base_url
        yield state
