"""A customer who turned invoice or receipt emails off in the portal gets none of that kind
(single invoices, billing runs and payments), through a real SMTP server on loopback; the others
get theirs as before."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dotmac_isp.config import MailSettings
from dotmac_isp.modules.billing import run
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.notifications import outbox
from dotmac_isp.modules.notifications.models import Delivery
from dotmac_isp.shared.types import utcnow
from tests.conftest import RollbackDatabase
from tests.modules.billing import bulk
from tests.modules.billing.helpers import configure
from tests.support.customers import make_customer, make_plan
from tests.support.factories import StaffUser
from tests.support.smtp import Inbox, smtp_server


def _invoice_and_payment(client: TestClient, admin: StaffUser, customer: Customer) -> str:
    invoice = client.post("/api/v1/invoices", headers=admin.headers, json={
        "customer_id": str(customer.id),
        "lines": [{"description": "Installation", "unit_price": "50.00"}]})
    assert invoice.status_code == 201, invoice.text
    paid = client.post("/api/v1/payments", headers=admin.headers, json={
        "customer_id": str(customer.id), "method": "cash", "amount": "50.00",
        "currency": "USD"})
    assert paid.status_code == 201, paid.text
    return str(invoice.json()["number"])


def test_each_customer_gets_only_the_emails_they_chose(
        mailed: tuple[TestClient, Inbox], admin: StaffUser, session: Session,
        tenant: Tenant) -> None:
    client, inbox = mailed
    no_bills = make_customer(session, tenant, email="no-bills@home.example")
    no_receipts = make_customer(session, tenant, email="no-receipts@home.example")
    everything = make_customer(session, tenant, email="all@home.example")
    no_bills.notify_invoices = False
    no_receipts.notify_receipts = False
    session.flush()
    numbers = {c.email: _invoice_and_payment(client, admin, c)
               for c in (no_bills, no_receipts, everything)}
    messages = inbox.wait_for(4)
    got = sorted((m["To"], m["Subject"]) for m in messages)
    receipt = "Payment received, thank you (50.00 USD)"
    assert got == [
        ("all@home.example", f"Invoice {numbers['all@home.example']} from Tenant A Fibre"),
        ("all@home.example", receipt),
        ("no-bills@home.example", receipt),
        ("no-receipts@home.example",
         f"Invoice {numbers['no-receipts@home.example']} from Tenant A Fibre")]
    silenced = session.scalars(select(Delivery.to_address).where(
        Delivery.tenant_id == tenant.id,
        ((Delivery.to_address == "no-bills@home.example")
         & (Delivery.event_key == "billing.invoice_issued"))
        | ((Delivery.to_address == "no-receipts@home.example")
           & (Delivery.event_key == "billing.payment_received")))).all()
    assert silenced == []


def test_a_billing_run_leaves_out_who_turned_invoices_off(
        session: Session, db: RollbackDatabase, tenant: Tenant) -> None:
    configure(session, tenant)
    plan = make_plan(session, tenant, price=Decimal("30.00"))
    bulk.subscribers(session, tenant.id, plan, 3)
    owners = session.scalars(select(Customer).where(Customer.tenant_id == tenant.id)
                             .order_by(Customer.email)).all()
    quiet = owners[0].email
    session.execute(update(Customer).where(Customer.id == owners[0].id)
                    .values(notify_invoices=False))
    session.flush()
    run.run(db, tenant.id, date(2026, 2, 1))  # type: ignore[arg-type]
    queued = set(session.scalars(select(Delivery.to_address).where(
        Delivery.tenant_id == tenant.id, Delivery.event_key == "billing.invoice_issued")))
    assert queued == {o.email for o in owners[1:]}
    with smtp_server() as (inbox, port):
        summary = outbox.send_due(db.unit_of_work, MailSettings(
            smtp_host="127.0.0.1", smtp_port=port), utcnow() + timedelta(seconds=1),
            limit=100, lease=timedelta(minutes=1))
        messages = inbox.wait_for(summary.sent)
    recipients = {m["To"] for m in messages}
    assert {o.email for o in owners[1:]} <= recipients and quiet not in recipients
