"""E-invoice downloads on the API, the staff pages and the portal: another tenant's (or
another customer's) invoice is not found, a draft is refused with a reason."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import facturx
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing import invoices
from dotmac_isp.modules.customers import portal
from dotmac_isp.modules.customers.schemas import PortalAccountCreate
from dotmac_isp.modules.identity.models import Tenant
from tests.modules.billing.einvoice.helpers import (
    business,
    mixed_invoice,
    seller_details,
    ubl_schema,
)
from tests.support.factories import StaffUser
from tests.web.test_admin_pages import csrf_of, sign_in
from tests.web.test_billing_portal import portal_sign_in


def test_api_downloads_and_tenant_isolation(client: TestClient, session: Session,
                                            tenant: Tenant, admin: StaffUser,
                                            other_admin: StaffUser) -> None:
    seller_details(session, tenant)
    customer = business(session, tenant)
    invoice = mixed_invoice(session, tenant, customer)
    note = invoices.credit(session, tenant.id, invoice.id, amount=Decimal("10.00"),
                           reason="Goodwill", on=date(2026, 4, 5))
    pdf = client.get(f"/api/v1/invoices/{invoice.id}/facturx.pdf", headers=admin.headers)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert f'filename="{invoice.number}-facturx.pdf"' in pdf.headers["content-disposition"]
    _, xml = facturx.get_xml_from_pdf(pdf.content)
    assert b"<ram:DuePayableAmount>78.75</ram:DuePayableAmount>" in xml  # 138.75-50-10
    ubl = client.get(f"/api/v1/invoices/{invoice.id}/ubl.xml", headers=admin.headers)
    assert ubl.status_code == 200 and ubl.headers["content-type"] == "application/xml"
    assert ubl_schema().validate(etree.fromstring(ubl.content))
    for path in (f"/api/v1/invoices/{invoice.id}/facturx.pdf",
                 f"/api/v1/invoices/{invoice.id}/ubl.xml",
                 f"/api/v1/credit-notes/{note.id}/facturx.pdf",
                 f"/api/v1/credit-notes/{note.id}/ubl.xml"):
        assert client.get(path, headers=admin.headers).status_code == 200, path
        assert client.get(path, headers=other_admin.headers).status_code == 404, path


def test_api_refuses_a_draft(client: TestClient, session: Session, tenant: Tenant,
                             admin: StaffUser) -> None:
    seller_details(session, tenant)
    draft = mixed_invoice(session, tenant, business(session, tenant), issue=False)
    for suffix in ("facturx.pdf", "ubl.xml"):
        refused = client.get(f"/api/v1/invoices/{draft.id}/{suffix}", headers=admin.headers)
        assert refused.status_code == 409
        assert "draft" in refused.json()["detail"]


def test_admin_page_links_and_isolation(client: TestClient, session: Session, tenant: Tenant,
                                        other_tenant: Tenant, admin: StaffUser) -> None:
    seller_details(session, tenant)
    seller_details(session, other_tenant)
    invoice = mixed_invoice(session, tenant, business(session, tenant))
    draft = mixed_invoice(session, tenant, business(session, tenant), issue=False)
    theirs = mixed_invoice(session, other_tenant, business(session, other_tenant))
    assert sign_in(client, admin.user.email, admin.password).status_code == 303
    page = client.get(f"/admin/invoices/{invoice.id}").text
    assert f'href="/admin/invoices/{invoice.id}/facturx.pdf"' in page
    assert f'href="/admin/invoices/{invoice.id}/ubl.xml"' in page
    assert "facturx.pdf" not in client.get(f"/admin/invoices/{draft.id}").text
    for suffix in ("facturx.pdf", "ubl.xml"):
        assert client.get(f"/admin/invoices/{invoice.id}/{suffix}").status_code == 200
        assert client.get(f"/admin/invoices/{theirs.id}/{suffix}").status_code == 404
        assert client.get(f"/admin/invoices/{draft.id}/{suffix}").status_code == 409


def test_portal_customer_gets_only_own_einvoices(client: TestClient, session: Session,
                                                 settings: Settings, tenant: Tenant) -> None:
    seller_details(session, tenant)
    me = business(session, tenant, email="me@acme.example")
    mine = mixed_invoice(session, tenant, me)
    theirs = mixed_invoice(session, tenant, business(session, tenant))
    portal.create_account(session, settings, tenant.id, me.id,
                          PortalAccountCreate(password="my-portal-pw"))
    portal_sign_in(client, tenant.slug, "me@acme.example", "my-portal-pw")
    base = f"/portal/{tenant.slug}/billing"
    listing = client.get(base).text
    assert f'href="{base}/invoices/{mine.id}/facturx.pdf"' in listing
    assert f'href="{base}/invoices/{mine.id}/ubl.xml"' in listing
    for suffix in ("facturx.pdf", "ubl.xml"):
        assert client.get(f"{base}/invoices/{mine.id}/{suffix}").status_code == 200
        assert client.get(f"{base}/invoices/{theirs.id}/{suffix}").status_code == 404


def test_customer_page_sets_the_email_choice(client: TestClient, session: Session,
                                             tenant: Tenant, other_tenant: Tenant,
                                             admin: StaffUser) -> None:
    customer = business(session, tenant)
    stranger = business(session, other_tenant)
    assert sign_in(client, admin.user.email, admin.password).status_code == 303
    page = client.get(f"/admin/customers/{customer.id}").text
    token = csrf_of(page)
    assert 'name="facturx" value="1">' in page  # not chosen yet
    saved = client.post(f"/admin/customers/{customer.id}/einvoice",
                        data={"csrf_token": token, "facturx": "1", "ubl": "1"},
                        follow_redirects=False)
    assert saved.status_code == 303
    page = client.get(f"/admin/customers/{customer.id}").text
    assert 'name="facturx" value="1" checked>' in page
    assert 'name="ubl" value="1" checked>' in page
    assert 'name="reverse_charge" value="1">' in page
    assert client.post(f"/admin/customers/{stranger.id}/einvoice",
                       data={"csrf_token": token, "facturx": "1"},
                       follow_redirects=False).status_code == 404


def test_settings_page_takes_the_sellers_einvoice_details(
        client: TestClient, session: Session, tenant: Tenant, admin: StaffUser) -> None:
    invoice = mixed_invoice(session, tenant, business(session, tenant))
    assert sign_in(client, admin.user.email, admin.password).status_code == 303
    refused = client.get(f"/admin/invoices/{invoice.id}/ubl.xml")
    assert refused.status_code == 422 and "country" in refused.text  # not set up yet
    token = csrf_of(client.get("/admin/settings").text)
    details = {"csrf_token": token, "company_address": "", "company_tax_id": "NG111",
               "company_email": "", "company_phone": "", "company_legal_id": "RC 1",
               "company_street": "2 Creek Road", "company_city": "Lagos",
               "company_postcode": "100001", "company_country": "Nigeria"}
    bad = client.post("/admin/settings/company", data=details)
    assert bad.status_code == 422 and "two letters (ISO 3166)" in bad.text
    saved = client.post("/admin/settings/company", data={**details, "company_country": "ng"},
                        follow_redirects=False)
    assert saved.status_code == 303
    ubl = etree.fromstring(client.get(f"/admin/invoices/{invoice.id}/ubl.xml").content)
    supplier = ubl.find("{*}AccountingSupplierParty/{*}Party")
    assert supplier is not None
    assert supplier.findtext("{*}PostalAddress/{*}StreetName") == "2 Creek Road"
    assert supplier.findtext("{*}PostalAddress/{*}Country/{*}IdentificationCode") == "NG"
    assert supplier.findtext("{*}PartyLegalEntity/{*}CompanyID") == "RC 1"
