"""Webhook deliveries for one direct debit arriving at the same moment (GoCardless retries,
and sends each state change on its own) record one payment. Real threads against committed
PostgreSQL data, one connection per request as in production; the GoCardless API is the
stand-in on loopback because the real service cannot be reached from here."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine

from dotmac_isp.config import PaymentsSettings, Settings
from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.main import create_app
from dotmac_isp.modules.billing.gateways import gocardless_accounts
from dotmac_isp.modules.billing.gateways.models import AutopayCharge, GatewayEvent, Mandate
from dotmac_isp.modules.billing.gateways.tasks import charge_autopay
from dotmac_isp.modules.billing.models import Invoice, Payment
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.shared.db import Database
from tests.modules.billing.gateways.direct_debit.world import DUE_DAY
from tests.modules.billing.helpers import configure
from tests.support.customers import make_customer
from tests.support.factories import make_tenant
from tests.support.gocardless_stand_in import (
    ACCESS_TOKEN,
    WEBHOOK_SECRET,
    StandIn,
    gocardless_stand_in,
    sign,
)
from tests.support.parallel import at_once
from tests.web.billing_support import invoice


@pytest.fixture
def committed(engine: Engine, settings: Settings) -> Iterator[dict[str, Any]]:
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrent webhook deliveries are a PostgreSQL matter")
    with gocardless_stand_in() as gc:
        app_settings = settings.model_copy(update={
            "payments": PaymentsSettings(gocardless_api_base=gc.base_url)})
        database = Database(engine)
        with database.unit_of_work() as session:
            tenant = make_tenant(session, f"ddrace-{uuid.uuid4().hex[:8]}")
            configure(session, tenant)
            gocardless_accounts.save(session, app_settings, tenant.id,
                                     gocardless_accounts.GoCardlessInput(
                                         mode="sandbox", access_token=ACCESS_TOKEN,
                                         webhook_secret=WEBHOOK_SECRET))
            # no email: committed rows must not leave mail queued for other tests' outbox
            customer = make_customer(session, tenant, email=None)
            gc.mandates["MD00RACE"] = {"id": "MD00RACE", "status": "active", "scheme": "bacs",
                                       "metadata": {}, "links": {}}
            session.add(Mandate(tenant_id=tenant.id, gateway="gocardless",
                                customer_id=customer.id, mandate_id="MD00RACE",
                                status="active", autopay=True))
            due = invoice(session, tenant, customer.id, "40.00")
            ids = {"tenant": tenant.id, "slug": tenant.slug, "customer": customer.id,
                   "invoice": due.id}
        assert charge_autopay(JobContext(database=database,  # type: ignore[arg-type]
                                         settings=app_settings,
                                         params={"date": DUE_DAY})) == "1 collecting"
        app = create_app(app_settings, database, configure_logs=False)
        try:
            with TestClient(app, raise_server_exceptions=False) as client:
                yield {**ids, "gc": gc, "client": client, "database": database}
        finally:  # the committed tenant goes, with all it owns, so other tests see none of it
            with database.unit_of_work() as session:
                session.execute(delete(Tenant).where(Tenant.id == ids["tenant"]))


def test_deliveries_at_the_same_moment_record_one_payment(committed: dict[str, Any]) -> None:
    gc: StandIn = committed["gc"]
    client: TestClient = committed["client"]
    (payment_id,) = gc.payments
    confirmed = gc.payment_becomes(payment_id, "confirmed")
    paid_out = gc.payment_becomes(payment_id, "paid_out")
    bodies = [gc.webhook(confirmed), gc.webhook(paid_out), gc.webhook(confirmed),
              gc.webhook(paid_out, confirmed), gc.webhook(confirmed, paid_out)]

    def deliver(n: int) -> int:
        answer = client.post(f"/webhooks/gocardless/{committed['slug']}", content=bodies[n],
                             headers={"Webhook-Signature": sign(bodies[n])})
        return answer.status_code

    assert at_once(len(bodies), deliver) == [200] * len(bodies)
    database: Database = committed["database"]
    with database.unit_of_work(write=False) as session:
        payments = session.scalars(select(Payment).where(
            Payment.customer_id == committed["customer"])).all()
        assert [p.amount for p in payments] == [40]
        assert session.get(Invoice, committed["invoice"]).status == "paid"  # type: ignore[union-attr]
        (attempt,) = session.scalars(select(AutopayCharge).where(
            AutopayCharge.invoice_id == committed["invoice"])).all()
        assert attempt.status == "succeeded" and attempt.payment_id == payments[0].id
        events = session.scalars(select(GatewayEvent.event_id).where(
            GatewayEvent.tenant_id == committed["tenant"])).all()
        assert sorted(events) == sorted({confirmed["id"], paid_out["id"]})
