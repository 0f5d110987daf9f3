"""Billing's emails reach a real SMTP server on loopback: the invoice and the payment."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.modules.identity.models import Tenant
from tests.support.customers import make_customer
from tests.support.factories import StaffUser
from tests.support.smtp import Inbox


def test_invoice_and_payment_emails(mailed: tuple[TestClient, Inbox], admin: StaffUser,
                                    session: Session, tenant: Tenant) -> None:
    client, inbox = mailed
    customer = make_customer(session, tenant, email="payer@home.example")
    invoice = client.post("/api/v1/invoices", headers=admin.headers, json={
        "customer_id": str(customer.id),
        "lines": [{"description": "Installation", "unit_price": "50.00"}]}).json()
    client.post("/api/v1/payments", headers=admin.headers, json={
        "customer_id": str(customer.id), "method": "cash", "amount": "50.00",
        "currency": "USD"})
    messages = inbox.wait_for(2)
    subjects = sorted(m["Subject"] for m in messages)
    assert subjects == [f"Invoice {invoice['number']} from Tenant A Fibre",
                        "Payment received, thank you (50.00 USD)"]
    assert all(m["To"] == "payer@home.example" for m in messages)
