"""The customer's bills in the portal: only their own invoices, payments and PDFs."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.customers import portal
from dotmac_isp.modules.customers.schemas import PortalAccountCreate
from dotmac_isp.modules.identity.models import Tenant
from tests.support.customers import make_customer
from tests.web.billing_support import invoice, pay, pdf_text, visible, with_vat
from tests.web.test_admin_pages import csrf_of


def portal_sign_in(client: TestClient, slug: str, login: str, password: str) -> None:
    token = csrf_of(client.get(f"/portal/{slug}/login").text)
    signed = client.post(f"/portal/{slug}/login", data={"csrf_token": token, "login": login,
                                                        "password": password},
                         follow_redirects=False)
    assert signed.status_code == 303


def test_customer_sees_own_bills_and_downloads_only_own_pdfs(
        client: TestClient, session: Session, settings: Settings, tenant: Tenant,
        other_tenant: Tenant) -> None:
    with_vat(session, tenant)
    me = make_customer(session, tenant, email="me@home.example")
    other = make_customer(session, tenant)
    mine = invoice(session, tenant, me.id, "100.00")
    later = invoice(session, tenant, me.id, "20.00", on=date(2026, 5, 1))
    my_draft = invoice(session, tenant, me.id, "9.00", on=None)
    my_payment = pay(session, tenant, me.id, "50.00")
    theirs = invoice(session, tenant, other.id, "300.00")
    their_payment = pay(session, tenant, other.id, "10.00")
    portal.create_account(session, settings, tenant.id, me.id,
                          PortalAccountCreate(password="my-portal-pw"))
    base = f"/portal/{tenant.slug}/billing"
    anonymous = client.get(base, follow_redirects=False)
    assert anonymous.status_code == 303 and "/login" in anonymous.headers["location"]
    assert client.get(f"{base}/invoices/{mine.id}/pdf",
                      follow_redirects=False).status_code == 303

    portal_sign_in(client, tenant.slug, "me@home.example", "my-portal-pw")
    home = client.get(f"/portal/{tenant.slug}")
    assert f'href="{base}"' in home.text
    page = client.get(base)
    assert page.status_code == 200
    text = visible(page.text)
    assert mine.number in text and later.number in text and theirs.number not in text
    assert my_payment.number in text and their_payment.number not in text
    assert "You owe 79.00 USD" in text  # 107.50 + 21.50 - 50.00
    assert f"{mine.number} 2026-04-01 2026-04-15 partially paid" in text
    assert str(my_draft.id) not in page.text

    document = client.get(f"{base}/invoices/{mine.id}/pdf")
    assert document.status_code == 200
    assert document.headers["content-type"] == "application/pdf"
    assert f'filename="{mine.number}.pdf"' in document.headers["content-disposition"]
    assert mine.number in pdf_text(document.content)
    receipt = client.get(f"{base}/payments/{my_payment.id}/receipt.pdf")
    assert receipt.status_code == 200 and my_payment.number in pdf_text(receipt.content)

    for url in (f"{base}/invoices/{theirs.id}/pdf", f"{base}/invoices/{my_draft.id}/pdf",
                f"{base}/payments/{their_payment.id}/receipt.pdf",
                f"{base}/invoices/{my_payment.id}/pdf",
                f"{base}/payments/{mine.id}/receipt.pdf"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert not response.content.startswith(b"%PDF")
    # signed in to one provider's portal is not signed in to another's
    assert client.get(f"/portal/{other_tenant.slug}/billing/invoices/{mine.id}/pdf",
                      follow_redirects=False).status_code == 303


def test_settled_and_in_credit_accounts(client: TestClient, session: Session,
                                        settings: Settings, tenant: Tenant) -> None:
    with_vat(session, tenant)
    me = make_customer(session, tenant, email="credit@home.example")
    portal.create_account(session, settings, tenant.id, me.id,
                          PortalAccountCreate(password="my-portal-pw"))
    portal_sign_in(client, tenant.slug, "credit@home.example", "my-portal-pw")
    base = f"/portal/{tenant.slug}/billing"
    assert "No invoices yet" in client.get(base).text
    assert "Your account is settled: 0.00 USD" in visible(client.get(base).text)
    invoice(session, tenant, me.id, "10.00")
    pay(session, tenant, me.id, "15.00")
    assert "You have 4.25 USD in credit" in visible(client.get(base).text)
