"""Staff set the tenant's Stripe keys on /admin/settings/payments: secrets are write-only and
stored encrypted, the webhook address to give Stripe is shown, and a tenant without keys
offers no online payment."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing.gateways import accounts
from dotmac_isp.modules.customers import portal
from dotmac_isp.modules.customers.schemas import PortalAccountCreate
from dotmac_isp.modules.identity.models import Tenant
from tests.support.customers import make_customer
from tests.support.factories import StaffUser
from tests.web.billing_support import invoice, visible, with_vat
from tests.web.test_admin_pages import csrf_of, sign_in
from tests.web.test_billing_portal import portal_sign_in


def test_keys_are_saved_encrypted_and_the_webhook_address_shown(
        client: TestClient, session: Session, admin: StaffUser, tenant: Tenant,
        other_tenant: Tenant) -> None:
    assert sign_in(client, admin.user.email, admin.password).status_code == 303
    page = client.get("/admin/settings/payments")
    assert page.status_code == 200
    wrong = client.post("/admin/settings/payments", data={
        "csrf_token": csrf_of(page.text), "mode": "test", "publishable_key": "pk_test_abc",
        "secret_key": "sk_live_oops", "webhook_secret": "whsec_x", "is_enabled": "on"})
    assert wrong.status_code == 422 and "sk_test_" in visible(wrong.text)
    assert accounts.find_account(session, tenant.id) is None

    saved = client.post("/admin/settings/payments", data={
        "csrf_token": csrf_of(page.text), "mode": "test", "publishable_key": "pk_test_abc",
        "secret_key": "sk_test_secret_9876", "webhook_secret": "whsec_signing_1",
        "is_enabled": "on"}, follow_redirects=False)
    assert saved.status_code == 303
    account = accounts.find_account(session, tenant.id)
    assert account is not None and account.mode == "test"
    stored = " ".join(str(v) for v in session.execute(text(
        "SELECT secret_key_encrypted, webhook_secret_encrypted FROM payment_gateway_accounts"
    )).one())
    assert "sk_test_secret_9876" not in stored and "whsec_signing_1" not in stored
    shown = client.get("/admin/settings/payments").text
    assert "sk_test_secret_9876" not in shown and "ends in 9876" in visible(shown)
    assert f"/webhooks/stripe/{account.id}" in shown
    assert accounts.find_account(session, other_tenant.id) is None


def test_without_keys_pay_now_says_to_pay_another_way(client: TestClient, session: Session,
                                                      tenant: Tenant,
                                                      settings: Settings) -> None:
    with_vat(session, tenant)
    customer = make_customer(session, tenant, email="nokeys@home.example")
    portal.create_account(session, settings, tenant.id, customer.id,
                          PortalAccountCreate(password="my-portal-pw"))
    bill = invoice(session, tenant, customer.id, "10.00")
    portal_sign_in(client, tenant.slug, "nokeys@home.example", "my-portal-pw")
    page = client.get(f"/portal/{tenant.slug}/pay/invoices/{bill.id}")
    refused = client.post(f"/portal/{tenant.slug}/pay/invoices/{bill.id}",
                          data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert refused.status_code == 422
    assert "not available" in visible(refused.text)
