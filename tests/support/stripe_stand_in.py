"""A stand-in for Stripe's API on loopback (Stripe cannot be reached from the test machines):
Checkout Sessions, PaymentIntents, refunds and a hosted page that "pays" and sends the
customer back. It keeps the events Stripe would send; `sign` signs a payload the way Stripe
signs webhooks (t=<unix time>,v1=HMAC-SHA256 of "t.payload" with the endpoint secret).
With `webhook_url` set, the hosted page delivers the events its payment raised to that
endpoint, signed, before it sends the browser back (as Stripe usually does)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from tests.support.http_stand_in import QuietHandler, serving

SECRET_KEY = "sk_test_standin_0123456789"
WEBHOOK_SECRET = "whsec_standin_0123456789"


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    stamp = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256)
    return f"t={stamp},v1={digest.hexdigest()}"


def _nested(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding (a[b][0][c]=v) back into nested dicts; lists stay dicts."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


@dataclass
class StandIn:
    base_url: str = ""
    secret_key: str = SECRET_KEY
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    idempotent: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    decline_next: str = ""  # the next hosted payment fails with this message
    # how the next hosted payment is paid: Stripe's payment_method_details (a card by default)
    paid_with: dict[str, Any] | None = None
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    setup_intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    methods: dict[str, dict[str, Any]] = field(default_factory=dict)
    # saved cards that decline off-session charges, with Stripe's decline code and message
    declining: dict[str, tuple[str, str]] = field(default_factory=dict)
    webhook_url: str = ""  # set: events are delivered here, signed with webhook_secret
    webhook_secret: str = WEBHOOK_SECRET
    delivered: int = 0  # events[:delivered] were delivered
    # each delivery: (event type, the endpoint's status code, its answer)
    deliveries: list[tuple[str, int, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_standin{next(self._ids):06d}"

    def event(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        event = {"id": self.new_id("evt"), "object": "event", "type": kind,
                 "created": int(time.time()), "api_version": "2025-01-01",
                 "data": {"object": json.loads(json.dumps(obj))}}
        self.events.append(event)
        return event

    def payload(self, event: dict[str, Any]) -> bytes:
        return json.dumps(event).encode()

    def deliver_events(self) -> None:
        """POST the events not yet delivered to webhook_url, signed. Called without the lock:
        the endpoint reads the payment back from this API."""
        if not self.webhook_url:
            return
        with self.lock:
            pending, self.delivered = self.events[self.delivered:], len(self.events)
        for event in pending:
            payload = self.payload(event)
            answer = httpx.post(self.webhook_url, content=payload, timeout=30, headers={
                "Stripe-Signature": sign(payload, self.webhook_secret),
                "Content-Type": "application/json"})
            self.deliveries.append((str(event["type"]), answer.status_code, answer.text))

    # -- API ------------------------------------------------------------------------------
    def create_customer(self, form: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        customer_id = self.new_id("cus")
        customer = {"id": customer_id, "object": "customer", "email": form.get("email"),
                    "name": form.get("name"), "metadata": form.get("metadata") or {}}
        self.customers[customer_id] = customer
        return 200, customer

    def create_setup_session(self, form: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if form.get("customer") not in self.customers:
            return 400, _error("No such customer", "resource_missing")
        intent = {"id": self.new_id("seti"), "object": "setup_intent",
                  "customer": form["customer"], "status": "requires_payment_method",
                  "payment_method": None, "usage": "off_session"}
        session = {"id": self.new_id("cs_test"), "object": "checkout.session", "mode": "setup",
                   "status": "open", "customer": form["customer"], "setup_intent": intent["id"],
                   "success_url": form["success_url"], "cancel_url": form["cancel_url"],
                   "metadata": form.get("metadata") or {}, "amount_total": 0}
        session["url"] = f"{self.base_url}/pay/{session['id']}"
        self.setup_intents[intent["id"]] = intent
        self.sessions[session["id"]] = session
        return 200, session

    def session_view(self, session_id: str, expand: bool) -> tuple[int, dict[str, Any]]:
        found = self.sessions.get(session_id)
        if found is None:
            return 404, _error("No such checkout.session", "resource_missing")
        shown = dict(found)
        if expand and shown.get("setup_intent"):
            intent = dict(self.setup_intents[shown["setup_intent"]])
            intent["payment_method"] = self.methods.get(intent["payment_method"] or "")
            shown["setup_intent"] = intent
        return 200, shown

    def charge_off_session(self, form: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        method = self.methods.get(form.get("payment_method", ""))
        if method is None or method["customer"] != form.get("customer"):
            return 400, _error("No such PaymentMethod for this customer", "resource_missing")
        amount = int(form["amount"])
        intent = {"id": self.new_id("pi"), "object": "payment_intent", "amount": amount,
                  "amount_received": 0, "currency": form["currency"],
                  "metadata": form.get("metadata") or {}, "customer": form["customer"],
                  "latest_charge": None, "last_payment_error": None}
        self.intents[intent["id"]] = intent
        if method["id"] in self.declining:
            code, message = self.declining[method["id"]]
            intent.update(status="requires_payment_method",
                          last_payment_error={"message": message, "decline_code": code})
            return 402, {"error": {"type": "card_error", "code": "card_declined",
                                   "decline_code": code, "message": message,
                                   "payment_intent": intent}}
        charge = {"id": self.new_id("ch"), "object": "charge", "amount": amount,
                  "payment_method_details": {"type": "card", "card": dict(method["card"])}}
        intent.update(status="succeeded", amount_received=amount, latest_charge=charge)
        self.event("payment_intent.succeeded", {**intent, "latest_charge": charge["id"]})
        return 200, intent

    def create_session(self, form: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if form.get("mode") == "setup":
            return self.create_setup_session(form)
        item = form["line_items"]["0"]
        price = item["price_data"]
        amount = int(price["unit_amount"]) * int(item.get("quantity", "1"))
        metadata = (form.get("payment_intent_data") or {}).get("metadata") or {}
        intent = {"id": self.new_id("pi"), "object": "payment_intent", "amount": amount,
                  "amount_received": 0, "currency": price["currency"],
                  "status": "requires_payment_method", "metadata": metadata,
                  "latest_charge": None, "last_payment_error": None}
        session = {"id": self.new_id("cs_test"), "object": "checkout.session",
                   "amount_total": amount, "currency": price["currency"], "mode": "payment",
                   "payment_status": "unpaid", "status": "open",
                   "payment_intent": intent["id"], "metadata": form.get("metadata") or {},
                   "success_url": form["success_url"], "cancel_url": form["cancel_url"],
                   "customer_email": form.get("customer_email")}
        session["url"] = f"{self.base_url}/pay/{session['id']}"
        self.intents[intent["id"]] = intent
        self.sessions[session["id"]] = session
        return 200, session

    def intent_view(self, intent_id: str, expand: bool) -> tuple[int, dict[str, Any]]:
        intent = self.intents.get(intent_id)
        if intent is None:
            return 404, _error("No such payment_intent", "resource_missing")
        shown = dict(intent)
        if not expand and isinstance(shown["latest_charge"], dict):
            shown["latest_charge"] = shown["latest_charge"]["id"]
        return 200, shown

    def create_refund(self, form: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        intent = self.intents.get(form.get("payment_intent", ""))
        if intent is None or intent["status"] != "succeeded":
            return 400, _error("This PaymentIntent has no successful charge to refund")
        refunded = sum(r["amount"] for r in self.refunds if r["payment_intent"] == intent["id"])
        amount = int(form.get("amount", intent["amount_received"] - refunded))
        if amount > intent["amount_received"] - refunded:
            return 400, _error(f"Refund amount ({amount}) is greater than the unrefunded "
                               f"amount on the charge")
        refund = {"id": self.new_id("re"), "object": "refund", "amount": amount,
                  "currency": intent["currency"], "payment_intent": intent["id"],
                  "status": "succeeded", "metadata": form.get("metadata") or {}}
        self.refunds.append(refund)
        return 200, refund

    def pay(self, session_id: str) -> str:
        """The customer pays on the hosted page: where the browser goes next."""
        session = self.sessions[session_id]
        if session["mode"] == "setup":
            setup = self.setup_intents[session["setup_intent"]]
            method = {"id": self.new_id("pm"), "object": "payment_method", "type": "card",
                      "customer": session["customer"],
                      "card": {"brand": "mastercard", "last4": "4444", "exp_month": 8,
                               "exp_year": 2029}}
            self.methods[method["id"]] = method
            setup.update(status="succeeded", payment_method=method["id"])
            session.update(status="complete")
            self.event("checkout.session.completed", session)
            return str(session["success_url"])
        intent = self.intents[session["payment_intent"]]
        if self.decline_next:
            intent["status"] = "requires_payment_method"
            intent["last_payment_error"] = {"message": self.decline_next}
            self.decline_next = ""
            self.event("payment_intent.payment_failed", intent)
            return str(session["cancel_url"])
        details = self.paid_with or {"type": "card", "card": {"brand": "visa", "last4": "4242"}}
        self.paid_with = None
        charge = {"id": self.new_id("ch"), "object": "charge", "amount": intent["amount"],
                  "payment_method_details": details}
        intent.update(status="succeeded", amount_received=intent["amount"],
                      latest_charge=charge)
        session.update(payment_status="paid", status="complete")
        self.event("checkout.session.completed", session)
        self.event("payment_intent.succeeded", {**intent, "latest_charge": charge["id"]})
        return str(session["success_url"])


def _error(message: str, code: str = "") -> dict[str, Any]:
    return {"error": {"type": "invalid_request_error", "message": message, "code": code}}


def _handler(state: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(QuietHandler):
        def _authorised(self) -> bool:
            if self.headers.get("Authorization") == f"Bearer {state.secret_key}":
                return True
            self._send(401, _error("Invalid API Key provided"))
            return False

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            parts = url.path.strip("/").split("/")
            with state.lock:
                if parts[0] == "pay" and parts[1] in state.sessions:
                    self._send(200, f"<html><body><form method='post'><button>Pay "
                                    f"{state.sessions[parts[1]]['amount_total']}</button>"
                                    f"</form></body></html>")
                    return
                if not self._authorised():
                    return
                if parts[:3] == ["v1", "checkout", "sessions"] and len(parts) == 4:
                    self._send(*state.session_view(parts[3], "setup_intent" in url.query))
                elif parts[:2] == ["v1", "payment_intents"] and len(parts) == 3:
                    expand = "latest_charge" in url.query
                    self._send(*state.intent_view(parts[2], expand))
                else:
                    self._send(404, _error(f"Unrecognized request URL (GET: {url.path})"))

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            parts = url.path.strip("/").split("/")
            length = int(self.headers.get("Content-Length") or 0)
            form = _nested(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
            if parts[0] == "pay" and parts[1] in state.sessions:
                with state.lock:
                    location = state.pay(parts[1])
                state.deliver_events()
                self._send(303, "", {"Location": location})
                return
            with state.lock:
                if not self._authorised():
                    return
                key = self.headers.get("Idempotency-Key")
                if key and key in state.idempotent:
                    self._send(*state.idempotent[key])
                    return
                if url.path == "/v1/checkout/sessions":
                    result = state.create_session(form)
                elif url.path == "/v1/refunds":
                    result = state.create_refund(form)
                elif url.path == "/v1/customers":
                    result = state.create_customer(form)
                elif url.path == "/v1/payment_intents":
                    result = state.charge_off_session(form)
                else:
                    result = 404, _error(f"Unrecognized request URL (POST: {url.path})")
                if key:
                    state.idempotent[key] = result
                self._send(*result)

    return Handler


@contextmanager
def stripe_stand_in() -> Iterator[StandIn]:
    state = StandIn()
    with serving(_handler(state)) as base_url:
        state.base_url = base_url
        yield state
