"""The issued-invoice email carries the e-invoice for a customer who chose it (through a real
SMTP server on loopback), and nothing extra for the others."""

from __future__ import annotations

from email.message import Message

import facturx
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy.orm import Session

from dotmac_isp.modules.identity.models import Tenant
from tests.modules.billing.einvoice.helpers import business, seller_details, ubl_schema
from tests.support.factories import StaffUser
from tests.support.smtp import Inbox


def files(message: Message) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for part in message.walk():
        if part.get_filename():
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            found[part.get_filename() or ""] = payload
    return found


def test_invoice_email_attaches_facturx_and_ubl_when_chosen(
        mailed: tuple[TestClient, Inbox], admin: StaffUser, session: Session,
        tenant: Tenant) -> None:
    client, inbox = mailed
    seller_details(session, tenant)
    chose = business(session, tenant, email="accounts@acme.example")
    plain = business(session, tenant, email="someone@else.example")
    account = client.put(f"/api/v1/customers/{chose.id}/billing-account", headers=admin.headers,
                         json={"einvoice_email": True, "einvoice_ubl": True})
    assert account.status_code == 200 and account.json()["einvoice_ubl"] is True
    numbers = {}
    for customer in (chose, plain):
        created = client.post("/api/v1/invoices", headers=admin.headers, json={
            "customer_id": str(customer.id),
            "lines": [{"description": "Installation <on site>", "unit_price": "50.00"}]})
        assert created.status_code == 201, created.text
        numbers[customer.email] = created.json()["number"]
    messages = {m["To"]: m for m in inbox.wait_for(2)}
    number = numbers["accounts@acme.example"]
    attached = files(messages["accounts@acme.example"])
    assert sorted(attached) == [f"{number}-facturx.pdf", f"{number}-ubl.xml"]
    _, xml = facturx.get_xml_from_pdf(attached[f"{number}-facturx.pdf"])
    assert b"<ram:DuePayableAmount>50.00</ram:DuePayableAmount>" in xml
    assert ubl_schema().validate(etree.fromstring(attached[f"{number}-ubl.xml"]))
    assert files(messages["someone@else.example"]) == {}
