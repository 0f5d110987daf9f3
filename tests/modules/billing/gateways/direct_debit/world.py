"""An app wired to a real SMTP server on loopback and to the GoCardless stand-in (GoCardless
cannot be reached from here), a tenant with a GoCardless account, and a signed-in portal
customer with open invoices."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import MailSettings, PaymentsSettings, Settings
from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.main import create_app
from dotmac_isp.modules.billing.gateways import gocardless_accounts, mandates
from dotmac_isp.modules.billing.gateways.models import Mandate
from dotmac_isp.modules.billing.gateways.tasks import charge_autopay
from dotmac_isp.modules.billing.models import Invoice, Payment
from dotmac_isp.modules.customers import portal
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.customers.schemas import PortalAccountCreate
from dotmac_isp.modules.identity.models import Tenant
from tests.conftest import RollbackDatabase
from tests.support.customers import make_customer
from tests.support.gocardless_stand_in import ACCESS_TOKEN, WEBHOOK_SECRET, StandIn, sign
from tests.support.gocardless_stand_in import gocardless_stand_in as _stand_in
from tests.support.smtp import Inbox, smtp_server
from tests.web.billing_support import invoice, visible, with_vat
from tests.web.test_admin_pages import csrf_of
from tests.web.test_billing_portal import portal_sign_in

DUE_DAY = date(2026, 4, 20)  # after the due date of invoices issued on 2026-04-01


@dataclass
class Debits:
    app: FastAPI
    client: TestClient
    inbox: Inbox
    gc: StandIn
    db: RollbackDatabase
    session: Session
    settings: Settings
    tenant: Tenant
    customer: Customer

    def invoice(self, *amounts: str, on: date = date(2026, 4, 1)) -> Invoice:
        return invoice(self.session, self.tenant, self.customer.id, *amounts, on=on)

    def complete_hosted_page(self, hosted_url: str) -> str:
        """The customer confirms on the stand-in's page: the path they are sent back to."""
        assert hosted_url.startswith(self.gc.base_url)
        assert httpx.get(hosted_url).status_code == 200
        done = httpx.post(hosted_url, follow_redirects=False)
        assert done.status_code == 303
        back = urlsplit(str(done.headers["location"]))
        assert f"{back.scheme}://{back.netloc}" == self.settings.public_url.rstrip("/")
        return back.path

    def set_up_mandate(self) -> Mandate:
        """From the portal: agree, set up the mandate on the hosted page, come back."""
        base = f"/portal/{self.tenant.slug}/pay/direct-debit"
        page = self.client.get(base)
        started = self.client.post(base, data={"csrf_token": csrf_of(page.text),
                                               "consent": "yes"}, follow_redirects=False)
        assert started.status_code == 303, started.text
        back = self.client.get(self.complete_hosted_page(started.headers["location"]))
        assert "BARCLAYS BANK PLC ending in 11" in visible(back.text)
        return self.mandate()

    def mandate(self) -> Mandate:
        self.session.expire_all()
        found = mandates.mandate_of(self.session, self.tenant.id, self.customer.id)
        assert found is not None
        return found

    def deliver(self, *events: dict[str, Any], secret: str = WEBHOOK_SECRET,
                key: str | None = None) -> httpx.Response:
        body = self.gc.webhook(*events)
        return self.client.post(f"/webhooks/gocardless/{key or self.tenant.slug}",
                                content=body, headers={"Webhook-Signature": sign(body, secret),
                                                       "Content-Type": "application/json"})

    def run_autopay(self, day: date = DUE_DAY) -> str:
        self.session.flush()
        return charge_autopay(JobContext(database=self.db,  # type: ignore[arg-type]
                                         settings=self.settings, params={"date": day}))

    def payments(self) -> list[Payment]:
        self.session.expire_all()
        return list(self.session.scalars(select(Payment).where(
            Payment.customer_id == self.customer.id)))

    def status(self, invoice: Invoice) -> str:
        self.session.expire_all()
        return self.session.get(Invoice, invoice.id).status  # type: ignore[union-attr]


@pytest.fixture
def debits(settings: Settings, db: RollbackDatabase, session: Session, tenant: Tenant,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[Debits]:
    with smtp_server() as (inbox, port), _stand_in() as gc:
        monkeypatch.setenv("DOTMAC_MAIL__SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("DOTMAC_MAIL__SMTP_PORT", str(port))
        from dotmac_isp.config import get_settings

        get_settings.cache_clear()
        app_settings = settings.model_copy(update={
            "mail": MailSettings(smtp_host="127.0.0.1", smtp_port=port),
            "payments": PaymentsSettings(gocardless_api_base=gc.base_url)})
        with_vat(session, tenant)
        gocardless_accounts.save(session, app_settings, tenant.id,
                                 gocardless_accounts.GoCardlessInput(
                                     mode="sandbox", access_token=ACCESS_TOKEN,
                                     webhook_secret=WEBHOOK_SECRET))
        customer = make_customer(session, tenant, email="payer@home.example")
        portal.create_account(session, app_settings, tenant.id, customer.id,
                              PortalAccountCreate(password="my-portal-pw"))
        session.flush()
        app = create_app(app_settings, db, configure_logs=False)  # type: ignore[arg-type]
        with TestClient(app, raise_server_exceptions=False) as client:
            portal_sign_in(client, tenant.slug, "payer@home.example", "my-portal-pw")
            yield Debits(app, client, inbox, gc, db, session, app_settings, tenant, customer)
        get_settings.cache_clear()
