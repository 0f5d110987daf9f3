"""The billing API end to end: settings, taxes, a one-off invoice, its PDF, a payment with an
idempotency key, the receipt, a credit note, a refund, the statement and a run."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.modules.identity.models import Tenant
from tests.support.customers import make_customer
from tests.support.factories import StaffUser


def test_billing_api_end_to_end(client: TestClient, admin: StaffUser, session: Session,
                                tenant: Tenant) -> None:
    h = admin.headers
    customer = make_customer(session, tenant)
    vat = client.post("/api/v1/billing/tax-rates", headers=h,
                      json={"name": "VAT", "rate": "7.5"}).json()
    settings = client.patch("/api/v1/billing/settings", headers=h, json={
        "default_tax_rate_ids": [vat["id"]], "payment_terms_days": 10,
        "dunning": {"late_fee_kind": "fixed", "late_fee_amount": "5.00"}})
    assert settings.status_code == 200, settings.text
    assert settings.json()["dunning"]["late_fee_amount"] == "5.00"
    created = client.post("/api/v1/invoices", headers=h, json={
        "customer_id": str(customer.id),
        "lines": [{"description": "Router hAP ac2", "unit_price": "80.00"},
                  {"description": "Installation", "unit_price": "20.00", "kind": "one_off"}]})
    assert created.status_code == 201, created.text
    invoice = created.json()
    assert (invoice["subtotal"], invoice["tax_total"], invoice["total"]) == ("100.00", "7.50",
                                                                             "107.50")
    assert invoice["status"] == "issued" and invoice["number"].startswith("INV-")
    document = client.get(f"/api/v1/invoices/{invoice['id']}/pdf", headers=h)
    assert document.status_code == 200 and document.content.startswith(b"%PDF")
    assert document.headers["content-type"] == "application/pdf"
    payment_body = {"customer_id": str(customer.id), "method": "bank_transfer",
                    "amount": "120.00", "currency": "USD", "reference": "TRF 88231"}
    paid = client.post("/api/v1/payments", headers={**h, "Idempotency-Key": "bank-88231"},
                       json=payment_body)
    assert paid.status_code == 201 and paid.json()["unallocated"] == "12.50"
    retried = client.post("/api/v1/payments", headers={**h, "Idempotency-Key": "bank-88231"},
                          json=payment_body)
    assert retried.status_code == 200 and retried.json()["id"] == paid.json()["id"]
    receipt = client.get(f"/api/v1/payments/{paid.json()['id']}/receipt", headers=h)
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")
    assert client.get(f"/api/v1/invoices/{invoice['id']}", headers=h).json()["status"] == "paid"
    note = client.post(f"/api/v1/invoices/{invoice['id']}/credit-notes", headers=h,
                       json={"amount": "7.50", "reason": "install took two visits"})
    assert note.status_code == 201 and note.json()["total"] == "7.50"
    refund = client.post(f"/api/v1/payments/{paid.json()['id']}/refunds", headers=h,
                         json={"amount": "20.00", "reason": "overpaid"})
    assert refund.status_code == 201
    too_much = client.post(f"/api/v1/payments/{paid.json()['id']}/refunds", headers=h,
                           json={"amount": "0.01", "reason": "again"})
    assert too_much.status_code == 422
    statement = client.get(f"/api/v1/customers/{customer.id}/statement", headers=h).json()
    assert [e["kind"] for e in statement["entries"]] == ["invoice", "payment", "credit_note",
                                                         "refund"]
    assert statement["balance"] == "0.00"
    started = client.post("/api/v1/billing/runs", headers=h)
    assert started.status_code == 202 and started.json() == {"status": "started"}
    runs = client.get("/api/v1/billing/runs", headers=h).json()
    assert runs["total"] == 1 and runs["items"][0]["status"] == "completed"


def test_invoice_input_errors(client: TestClient, admin: StaffUser, session: Session,
                              tenant: Tenant) -> None:
    customer = make_customer(session, tenant)
    h = admin.headers
    for body, message in [
        ({"customer_id": str(customer.id), "lines": []}, "lines"),
        ({"customer_id": str(customer.id),
          "lines": [{"description": "x", "unit_price": "1.005"}]}, "unit_price"),
        ({"customer_id": str(customer.id),
          "lines": [{"description": "x", "unit_price": 12.5}]}, None),
    ]:
        response = client.post("/api/v1/invoices", headers=h, json=body)
        if message:
            assert response.status_code == 422 and message in response.json()["detail"]
        else:
            assert response.status_code == 201
    bad_card = client.post("/api/v1/payments", headers=h, json={
        "customer_id": str(customer.id), "method": "cash", "amount": "10", "currency": "USD",
        "reference": "4111111111111111"})
    assert bad_card.status_code == 422 and "card number" in bad_card.json()["detail"]
    negative = client.post("/api/v1/payments", headers=h, json={
        "customer_id": str(customer.id), "method": "cash", "amount": "-10", "currency": "USD"})
    assert negative.status_code == 422
    bad_template = client.patch("/api/v1/billing/settings", headers=h,
                                json={"invoice_template": "INV-{oops}"})
    assert bad_template.status_code == 422
