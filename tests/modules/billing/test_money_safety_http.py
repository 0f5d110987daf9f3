"""Money safety over HTTP: the API refuses amounts that are not plain decimals and voids
payments; the staff pages refuse mistyped amounts, confirm large ones, void, refund and let
staff choose the invoices a payment settles. Other tenants and read-only staff are refused."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing import setup
from dotmac_isp.modules.billing.models import Payment
from dotmac_isp.modules.identity.models import Tenant
from tests.modules.billing.helpers import configure
from tests.support.customers import make_customer
from tests.support.factories import StaffUser, make_user
from tests.web.billing_support import invoice, pay, visible
from tests.web.test_admin_pages import csrf_of, sign_in


def _count(session: Session, customer_id: Any) -> int:
    return session.scalar(select(func.count()).select_from(Payment).where(
        Payment.customer_id == customer_id)) or 0


@pytest.mark.parametrize("amount", ["1e9", 1e9, "NaN", "Infinity", "1.000,00", "1,000",
                                    "10.123", 49.99, "-5", "0x10"])
def test_api_refuses_amounts_that_are_not_plain(client: TestClient, admin: StaffUser,
                                                session: Session, tenant: Tenant,
                                                amount: object) -> None:
    configure(session, tenant)
    customer = make_customer(session, tenant)
    refused = client.post("/api/v1/payments", headers=admin.headers, json={
        "customer_id": str(customer.id), "method": "cash", "amount": amount,
        "currency": "USD"})
    assert refused.status_code == 422, refused.text
    assert "amount" in refused.text
    assert _count(session, customer.id) == 0


def test_api_void_reopens_invoices_and_is_refused_twice(client: TestClient, admin: StaffUser,
                                                        other_admin: StaffUser,
                                                        session: Session, settings: Settings,
                                                        tenant: Tenant) -> None:
    configure(session, tenant)
    h = admin.headers
    customer = make_customer(session, tenant)
    april = invoice(session, tenant, customer.id, "100.00", on=date(2026, 4, 1))
    may = invoice(session, tenant, customer.id, "50.00", on=date(2026, 5, 1))
    paid = client.post("/api/v1/payments", headers=h, json={
        "customer_id": str(customer.id), "method": "cash", "amount": "60.00",
        "currency": "USD", "invoice_ids": [str(may.id)]})
    assert paid.status_code == 201, paid.text
    payment = paid.json()
    # May 50.00 settled as chosen; the 10.00 rest to April (oldest open)
    assert client.get(f"/api/v1/invoices/{may.id}", headers=h).json()["status"] == "paid"
    assert client.get(f"/api/v1/invoices/{april.id}", headers=h).json()["amount_paid"] \
        == "10.00"
    viewer = make_user(session, settings, tenant, "read_only")
    url = f"/api/v1/payments/{payment['id']}/void"
    assert client.post(url, headers=viewer.headers, json={"reason": "x"}).status_code == 403
    assert client.post(url, headers=other_admin.headers,
                       json={"reason": "x"}).status_code == 404
    assert client.post(url, headers=h, json={"reason": ""}).status_code == 422
    voided = client.post(url, headers=h, json={"reason": "wrong customer"})
    assert voided.status_code == 200, voided.text
    body = voided.json()
    assert body["voided_at"] and body["void_reason"] == "wrong customer"
    assert (body["amount"], body["amount_allocated"], body["unallocated"]) == (
        "60.00", "0.00", "0.00")
    for inv, due in ((april, "100.00"), (may, "50.00")):
        shown = client.get(f"/api/v1/invoices/{inv.id}", headers=h).json()
        assert shown["amount_paid"] == "0.00" and shown["status"] != "paid", shown
        assert shown["total"] == due
    again = client.post(url, headers=h, json={"reason": "again"})
    assert again.status_code == 409 and "already voided" in again.json()["detail"]
    listed = client.get("/api/v1/payments", headers=h,
                        params={"customer_id": str(customer.id)}).json()["items"]
    assert [p["number"] for p in listed] == [payment["number"]]  # kept, never deleted
    statement = client.get(f"/api/v1/customers/{customer.id}/statement", headers=h).json()
    assert statement["balance"] == "150.00"  # 100 + 50 - 60 + 60


def test_api_sets_the_confirmation_ceiling(client: TestClient, admin: StaffUser) -> None:
    shown = client.get("/api/v1/billing/settings", headers=admin.headers).json()
    assert shown["payment_confirm_above"] == "10000.00"
    changed = client.patch("/api/v1/billing/settings", headers=admin.headers,
                           json={"payment_confirm_above": "2500.00"})
    assert changed.status_code == 200 and changed.json()["payment_confirm_above"] == "2500.00"
    bad = client.patch("/api/v1/billing/settings", headers=admin.headers,
                       json={"payment_confirm_above": "1e4"})
    assert bad.status_code == 422


def _form(client: TestClient, customer_id: Any) -> dict[str, str]:
    page = client.get("/admin/payments/new", params={"customer_id": str(customer_id)})
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text)
    assert key
    return {"csrf_token": csrf_of(page.text), "idempotency_key": key.group(1),
            "method": "cash", "received_on": "2026-05-05", "reference": ""}


def test_page_refuses_mistyped_amounts_and_confirms_large_ones(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    configure(session, tenant)
    setup.update_settings(session, tenant.id, {"payment_confirm_above": "500.00"})
    customer = make_customer(session, tenant)
    invoice(session, tenant, customer.id, "800.00")
    sign_in(client, admin.user.email, admin.password)
    form = {**_form(client, customer.id), "customer": customer.number}
    for typed, message in (("1e9", "digits and a decimal point only ('1e9' is not)"),
                           ("1.000,00", "is ambiguous"), ("NaN", "digits and a decimal"),
                           ("12.345", "at most 2 decimal places"),
                           ("-20", "must not be negative")):
        refused = client.post("/admin/payments/new", data={**form, "amount": typed})
        assert refused.status_code == 422, typed
        assert message in visible(refused.text), (typed, visible(refused.text)[:600])
    assert _count(session, customer.id) == 0
    asked = client.post("/admin/payments/new", data={**form, "amount": "750.00"})
    assert asked.status_code == 200 and 'data-testid="payment-confirm"' in asked.text
    text = visible(asked.text)
    assert "750.00 USD" in text and customer.number in text and customer.display_name in text
    assert _count(session, customer.id) == 0  # nothing recorded before the confirmation
    confirmed = client.post("/admin/payments/new", data={**form, "amount": "750.00",
                                                         "confirmed": "1"},
                            follow_redirects=True)
    assert confirmed.status_code == 200 and "recorded" in confirmed.text
    assert _count(session, customer.id) == 1
    small = client.post("/admin/payments/new",
                        data={**_form(client, customer.id), "customer": customer.number,
                              "amount": "50.00"}, follow_redirects=True)
    assert "recorded" in small.text and "payment-confirm" not in small.text


def test_page_chooses_invoices_voids_and_refunds(client: TestClient, admin: StaffUser,
                                                 session: Session, tenant: Tenant) -> None:
    configure(session, tenant)
    customer = make_customer(session, tenant)
    april = invoice(session, tenant, customer.id, "100.00", on=date(2026, 4, 1))
    may = invoice(session, tenant, customer.id, "50.00", on=date(2026, 5, 1))
    sign_in(client, admin.user.email, admin.password)
    form = _form(client, customer.id)
    page = client.get("/admin/payments/new", params={"customer_id": str(customer.id)})
    assert 'data-testid="invoice-choice"' in page.text and str(may.id) in page.text
    recorded = client.post("/admin/payments/new", data={
        **form, "customer": customer.number, "amount": "70.00", "invoice_ids": str(may.id)},
        follow_redirects=True)
    assert recorded.status_code == 200, visible(recorded.text)[:400]
    session.expire_all()
    # May 50.00 chosen and paid; the 20.00 rest goes to April
    assert may.balance_due == 0 and april.balance_due == 80
    payment = session.scalars(select(Payment).where(Payment.customer_id == customer.id)).one()
    detail = client.get(f"/admin/payments/{payment.id}")
    token = csrf_of(detail.text)
    no_reason = client.post(f"/admin/payments/{payment.id}/void",
                            data={"csrf_token": token, "reason": ""})
    assert no_reason.status_code == 422 and "reason" in no_reason.text
    voided = client.post(f"/admin/payments/{payment.id}/void",
                         data={"csrf_token": token, "reason": "entered twice"},
                         follow_redirects=True)
    assert voided.status_code == 200 and "voided" in voided.text
    assert "entered twice" in voided.text and 'data-testid="void-form"' not in voided.text
    session.expire_all()
    assert (april.balance_due, may.balance_due) == (100, 50)
    assert april.status != "paid" and may.status != "paid"
    twice = client.post(f"/admin/payments/{payment.id}/void",
                        data={"csrf_token": token, "reason": "again"})
    assert twice.status_code == 409 and "already voided" in twice.text
    # refund: a 60.00 payment on a 100.00 + 50.00 account has no credit; 200.00 leaves 50.00
    credit = pay(session, tenant, customer.id, "200.00")
    page = client.get(f"/admin/payments/{credit.id}")
    assert 'data-testid="refund-form"' in page.text
    too_much = client.post(f"/admin/payments/{credit.id}/refund",
                           data={"csrf_token": token, "amount": "60.00", "reason": "x"})
    assert too_much.status_code == 422 and "only 50.00" in visible(too_much.text)
    mistyped = client.post(f"/admin/payments/{credit.id}/refund",
                           data={"csrf_token": token, "amount": "5e1", "reason": "x"})
    assert mistyped.status_code == 422 and "5e1" in visible(mistyped.text)
    refunded = client.post(f"/admin/payments/{credit.id}/refund",
                           data={"csrf_token": token, "amount": "50.00",
                                 "reason": "customer asked"}, follow_redirects=True)
    assert refunded.status_code == 200 and "Refund RF-" in refunded.text
    session.expire_all()
    assert credit.amount_refunded == 50 and credit.unallocated == 0
    refused = client.post(f"/admin/payments/{credit.id}/void",
                          data={"csrf_token": token, "reason": "mistake"})
    assert refused.status_code == 409 and "refunded" in refused.text


def test_page_refuses_other_tenants_and_read_only_staff(client: TestClient,
                                                        other_admin: StaffUser,
                                                        session: Session, settings: Settings,
                                                        tenant: Tenant) -> None:
    configure(session, tenant)
    customer = make_customer(session, tenant)
    invoice(session, tenant, customer.id, "10.00")
    payment = pay(session, tenant, customer.id, "10.00")
    viewer = make_user(session, settings, tenant, "read_only")
    sign_in(client, viewer.user.email, viewer.password)
    page = client.get(f"/admin/payments/{payment.id}")
    assert page.status_code == 200 and "void-form" not in page.text
    token = csrf_of(page.text)
    for action in ("void", "refund"):
        refused = client.post(f"/admin/payments/{payment.id}/{action}",
                              data={"csrf_token": token, "reason": "x", "amount": "1"})
        assert refused.status_code == 403, action
    client.cookies.clear()
    sign_in(client, other_admin.user.email, other_admin.password)
    token = csrf_of(client.get("/admin/payments").text)
    for action in ("void", "refund"):
        hidden = client.post(f"/admin/payments/{payment.id}/{action}",
                             data={"csrf_token": token, "reason": "x", "amount": "1"})
        assert hidden.status_code == 404, action
    session.expire_all()
    assert payment.voided_at is None and payment.amount_refunded == 0
