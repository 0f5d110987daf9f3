"""The payment confirmation ceiling on the tenant settings page: typed as a plain amount,
refused beside its field when mistyped, empty for none, audited, and what the payment form
then asks to confirm. Another tenant's ceiling is left alone."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import setup
from dotmac_isp.modules.billing.models import Payment
from dotmac_isp.modules.identity.models import AuditLog, Tenant
from tests.modules.billing.helpers import configure
from tests.support.customers import make_customer
from tests.support.factories import StaffUser
from tests.web.billing_support import invoice, visible
from tests.web.test_admin_pages import csrf_of, sign_in

PAGE = "/admin/settings"
BILLING = {"mode": "postpaid", "billing_day": "", "payment_terms_days": "14",
           "min_invoice_amount": "0"}


def _payments(session: Session, customer_id: Any) -> int:
    return session.scalar(select(func.count()).select_from(Payment).where(
        Payment.customer_id == customer_id)) or 0


def _pay(client: TestClient, customer: Any, amount: str) -> Any:
    page = client.get("/admin/payments/new", params={"customer_id": str(customer.id)})
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text)
    assert key
    return client.post("/admin/payments/new", data={
        "csrf_token": csrf_of(page.text), "idempotency_key": key.group(1), "method": "cash",
        "received_on": "2026-05-05", "reference": "", "customer": customer.number,
        "amount": amount}, follow_redirects=True)


def test_ceiling_saved_from_settings_is_what_the_payment_form_confirms(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant,
        other_tenant: Tenant) -> None:
    configure(session, tenant)
    before_other = setup.billing_settings(session, other_tenant.id).payment_confirm_above
    customer = make_customer(session, tenant)
    invoice(session, tenant, customer.id, "900.00")
    sign_in(client, admin.user.email, admin.password)
    page = client.get(PAGE)
    assert 'name="payment_confirm_above"' in page.text
    assert 'value="10000.00"' in page.text  # the stored default is shown
    token = csrf_of(page.text)

    for typed, message in (("1e3", "digits and a decimal point only"),
                           ("1.000,00", "is ambiguous"), ("12.345", "at most 2 decimal"),
                           ("-5", "must not be negative"), ("0", "more than zero")):
        bad = client.post(f"{PAGE}/billing", data={**BILLING, "csrf_token": token,
                                                   "payment_confirm_above": typed})
        assert bad.status_code == 422, typed
        beside = re.findall(r'data-testid="error-payment_confirm_above">([^<]*)<', bad.text)
        assert len(beside) == 1 and beside[0].startswith("Confirm payments above: "), typed
        assert message in visible(beside[0]), (typed, beside)
        assert f'value="{typed}"' in bad.text  # what was typed stays in the box
    session.expire_all()
    assert setup.billing_settings(session, tenant.id).payment_confirm_above == Decimal("10000")

    saved = client.post(f"{PAGE}/billing", data={**BILLING, "csrf_token": token,
                                                 "payment_confirm_above": "250.00"},
                        follow_redirects=False)
    assert saved.status_code == 303
    session.expire_all()
    settings = setup.billing_settings(session, tenant.id)
    assert settings.payment_confirm_above == Decimal("250.00")
    audited = session.scalars(select(AuditLog).where(
        AuditLog.tenant_id == tenant.id, AuditLog.entity_id == str(settings.id))).all()
    assert any(a.actor_id == admin.user.id and a.after and
               a.after.get("payment_confirm_above") in ("250.00", "250", 250)
               for a in audited), [a.after for a in audited]
    assert setup.billing_settings(session, other_tenant.id).payment_confirm_above == \
        before_other

    asked = _pay(client, customer, "300.00")
    assert 'data-testid="payment-confirm"' in asked.text and _payments(session, customer.id) == 0
    small = _pay(client, customer, "200.00")
    assert "recorded" in small.text and "payment-confirm" not in small.text
    assert _payments(session, customer.id) == 1

    cleared = client.post(f"{PAGE}/billing", data={**BILLING, "csrf_token": token,
                                                   "payment_confirm_above": " "},
                          follow_redirects=False)
    assert cleared.status_code == 303
    session.expire_all()
    assert setup.billing_settings(session, tenant.id).payment_confirm_above is None
    big = _pay(client, customer, "650.00")  # no ceiling: recorded without a second look
    assert "recorded" in big.text and "payment-confirm" not in big.text
    assert _payments(session, customer.id) == 2
