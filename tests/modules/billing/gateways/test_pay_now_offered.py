"""The portal offers Pay now (home, invoice page, bills list) only when the tenant takes cards
online: without a gateway account, or with it turned off, the links are gone and the pay page,
if reached anyway, says to pay another way."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing.gateways import accounts
from dotmac_isp.modules.customers import portal
from dotmac_isp.modules.customers.schemas import PortalAccountCreate
from dotmac_isp.modules.identity.models import Tenant
from tests.support.customers import make_customer
from tests.web.billing_support import invoice, takes_cards, visible, with_vat
from tests.web.test_admin_pages import csrf_of
from tests.web.test_billing_portal import portal_sign_in


def _pages(client: TestClient, slug: str, invoice_id: object) -> dict[str, str]:
    paths = {"home": f"/portal/{slug}", "invoice": f"/portal/{slug}/billing/invoices/{invoice_id}",
             "bills": f"/portal/{slug}/billing"}
    pages = {name: client.get(path) for name, path in paths.items()}
    assert all(page.status_code == 200 for page in pages.values())
    return {name: page.text for name, page in pages.items()}


def _customer_with_a_bill(session: Session, settings: Settings, tenant: Tenant,
                          client: TestClient) -> object:
    with_vat(session, tenant)
    customer = make_customer(session, tenant, email="owes@home.example")
    portal.create_account(session, settings, tenant.id, customer.id,
                          PortalAccountCreate(password="my-portal-pw"))
    bill = invoice(session, tenant, customer.id, "10.00")
    portal_sign_in(client, tenant.slug, "owes@home.example", "my-portal-pw")
    return bill.id


def test_no_pay_now_without_a_gateway(client: TestClient, session: Session, tenant: Tenant,
                                      settings: Settings) -> None:
    bill_id = _customer_with_a_bill(session, settings, tenant, client)
    link = f'href="/portal/{tenant.slug}/pay/invoices/{bill_id}"'
    for name, page in _pages(client, tenant.slug, bill_id).items():
        assert link not in page and 'data-testid="pay-now"' not in page, name
        assert f"/billing/invoices/{bill_id}" in page or name == "invoice"
    reached = client.get(f"/portal/{tenant.slug}/pay/invoices/{bill_id}")
    refused = client.post(f"/portal/{tenant.slug}/pay/invoices/{bill_id}",
                          data={"csrf_token": csrf_of(reached.text)}, follow_redirects=False)
    assert refused.status_code == 422 and "not available" in visible(refused.text)


def test_pay_now_with_an_enabled_gateway_only(client: TestClient, session: Session,
                                              tenant: Tenant, settings: Settings) -> None:
    bill_id = _customer_with_a_bill(session, settings, tenant, client)
    takes_cards(session, settings, tenant)
    link = f'href="/portal/{tenant.slug}/pay/invoices/{bill_id}"'
    assert all(link in page for page in _pages(client, tenant.slug, bill_id).values())
    account = accounts.find_account(session, tenant.id)
    assert account is not None
    account.is_enabled = False
    session.flush()
    assert not any(link in page for page in _pages(client, tenant.slug, bill_id).values())
