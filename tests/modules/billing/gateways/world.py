"""An app wired to a real SMTP server on loopback and to the Stripe stand-in, a tenant with
a Stripe account, and a signed-in portal customer with open invoices."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import MailSettings, PaymentsSettings, Settings
from dotmac_isp.main import create_app
from dotmac_isp.modules.billing import payments as payments_module
from dotmac_isp.modules.billing.gateways import accounts
from dotmac_isp.modules.billing.models import Invoice, Payment
from dotmac_isp.modules.customers import portal
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.customers.schemas import PortalAccountCreate
from dotmac_isp.modules.identity.models import Tenant
from tests.conftest import RollbackDatabase
from tests.support.customers import make_customer
from tests.support.smtp import Inbox, smtp_server
from tests.support.stripe_stand_in import SECRET_KEY, WEBHOOK_SECRET, StandIn, sign
from tests.support.stripe_stand_in import stripe_stand_in as _stand_in
from tests.web.billing_support import invoice, with_vat
from tests.web.test_admin_pages import csrf_of
from tests.web.test_billing_portal import portal_sign_in


@dataclass
class Shop:
    app: FastAPI
    client: TestClient
    inbox: Inbox
    stripe: StandIn
    session: Session
    settings: Settings
    tenant: Tenant
    customer: Customer

    def invoice(self, *amounts: str, on: date = date(2026, 4, 1)) -> Invoice:
        return invoice(self.session, self.tenant, self.customer.id, *amounts, on=on)

    def pay_now(self, path: str) -> str:
        """Confirm on the portal's pay page and follow to the hosted page: its URL."""
        page = self.client.get(f"/portal/{self.tenant.slug}/pay/{path}")
        assert page.status_code == 200, page.text
        started = self.client.post(f"/portal/{self.tenant.slug}/pay/{path}",
                                   data={"csrf_token": csrf_of(page.text)},
                                   follow_redirects=False)
        assert started.status_code == 303, started.text
        return str(started.headers["location"])

    def pay_on_hosted_page(self, hosted_url: str) -> str:
        """The customer pays on the stand-in's page: where their browser is sent back to."""
        assert httpx.get(hosted_url).status_code == 200
        paid = httpx.post(hosted_url, follow_redirects=False)
        assert paid.status_code == 303
        back = urlsplit(str(paid.headers["location"]))
        assert f"{back.scheme}://{back.netloc}" == self.settings.public_url.rstrip("/")
        return back.path  # the browser's cookies belong to the public URL; the client's here

    def deliver(self, event: dict[str, Any], secret: str = WEBHOOK_SECRET,
                key: str | None = None) -> httpx.Response:
        payload = self.stripe.payload(event)
        return self.client.post(f"/webhooks/stripe/{key or self.tenant.slug}", content=payload,
                                headers={"Stripe-Signature": sign(payload, secret),
                                         "Content-Type": "application/json"})

    def paid_online(self, *amounts: str) -> tuple[Invoice, Payment]:
        """An invoice paid in full through Pay now, confirmed by the webhook."""
        chosen = self.invoice(*amounts)
        self.pay_on_hosted_page(self.pay_now(f"invoices/{chosen.id}"))
        for event in list(self.stripe.events):
            assert self.deliver(event).status_code == 200
        payment = next(p for p in self.payments() if p.gateway == "stripe"
                       and p.idempotency_key and chosen.id in self._paid_by(p))
        return chosen, payment

    def _paid_by(self, payment: Payment) -> set[object]:
        return {alloc.invoice_id for alloc, _ in
                payments_module.allocations_of(self.session, self.tenant.id, payment.id)}

    def payments(self) -> list[Payment]:
        self.session.expire_all()
        return list(self.session.scalars(select(Payment).where(
            Payment.customer_id == self.customer.id)))


@pytest.fixture
def shop(settings: Settings, db: RollbackDatabase, session: Session, tenant: Tenant,
         monkeypatch: pytest.MonkeyPatch) -> Iterator[Shop]:
    with smtp_server() as (inbox, port), _stand_in() as stripe:
        monkeypatch.setenv("DOTMAC_MAIL__SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("DOTMAC_MAIL__SMTP_PORT", str(port))
        from dotmac_isp.config import get_settings

        get_settings.cache_clear()
        app_settings = settings.model_copy(update={
            "mail": MailSettings(smtp_host="127.0.0.1", smtp_port=port),
            "payments": PaymentsSettings(stripe_api_base=stripe.base_url)})
        with_vat(session, tenant)
        accounts.save_account(session, app_settings, tenant.id, accounts.AccountInput(
            mode="test", publishable_key="pk_test_standin", secret_key=SECRET_KEY,
            webhook_secret=WEBHOOK_SECRET))
        customer = make_customer(session, tenant, email="payer@home.example")
        portal.create_account(session, app_settings, tenant.id, customer.id,
                              PortalAccountCreate(password="my-portal-pw"))
        session.flush()
        app = create_app(app_settings, db, configure_logs=False)  # type: ignore[arg-type]
        with TestClient(app, raise_server_exceptions=False) as client:
            portal_sign_in(client, tenant.slug, "payer@home.example", "my-portal-pw")
            yield Shop(app, client, inbox, stripe, session, app_settings, tenant, customer)
        get_settings.cache_clear()


def money(value: str) -> Decimal:
    return Decimal(value)
