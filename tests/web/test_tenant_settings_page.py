"""The tenant settings page: each section shows every problem at once by its label and keeps
what was stored; saved changes are audited; read-only staff and other tenants change nothing."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing import service as billing_service
from dotmac_isp.modules.billing import setup
from dotmac_isp.modules.identity.models import AuditLog, Tenant
from dotmac_isp.modules.support.settings import get_support_settings
from dotmac_isp.shared.pagination import PageParams
from tests.support.customers import make_customer
from tests.support.factories import StaffUser, make_user
from tests.web.billing_support import invoice, pdf_text, visible
from tests.web.test_admin_pages import csrf_of, sign_in

PAGE = "/admin/settings"
NUMBERS = {"number_reset": "yearly", "invoice_template": "INV-{year}-{seq:05d}",
           "credit_note_template": "CN-{year}-{seq:05d}", "payment_template": "PAY-{seq}",
           "receipt_template": "RCT-{seq}", "refund_template": "RF-{seq}"}


def test_general_and_billing_sections_show_all_errors_then_save_with_audit(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    sign_in(client, admin.user.email, admin.password)
    page = client.get(PAGE)
    assert page.status_code == 200 and 'data-testid="settings-general"' in page.text
    assert "Walled-garden address list walled-garden" in visible(page.text)
    token = csrf_of(page.text)
    bad = client.post(f"{PAGE}/general", data={"csrf_token": token, "name": "",
                                               "currency": "DOLLARS", "timezone": "Mars/Base"})
    assert bad.status_code == 422
    text = visible(bad.text)
    assert "Company name: required" in text and "Currency: " in text and "Time zone: " in text
    session.expire_all()
    assert (tenant.currency, tenant.timezone) == ("USD", "UTC")
    ok = client.post(f"{PAGE}/general", data={"csrf_token": token, "name": "Lagos Fibre",
                                              "currency": "ngn", "timezone": "Africa/Lagos"},
                     follow_redirects=False)
    assert ok.status_code == 303
    session.expire_all()
    assert (tenant.name, tenant.currency, tenant.timezone) == ("Lagos Fibre", "NGN",
                                                               "Africa/Lagos")
    audited = session.scalars(select(AuditLog).where(
        AuditLog.tenant_id == tenant.id, AuditLog.entity_type == "tenants")).all()
    assert any(a.actor_id == admin.user.id for a in audited)
    wrong = client.post(f"{PAGE}/billing", data={
        "csrf_token": token, "mode": "prepaid", "billing_day": "31",
        "payment_terms_days": "soon", "min_invoice_amount": "1,5"})
    assert wrong.status_code == 422
    text = visible(wrong.text)
    assert "Billing day: " in text and "Payment terms (days): 'soon' is not" in text and \
        "Smallest invoice: '1,5' is not" in text
    saved = client.post(f"{PAGE}/billing", data={
        "csrf_token": token, "mode": "postpaid", "billing_day": "", "payment_terms_days": "7",
        "min_invoice_amount": "2.50", "prices_include_tax": "1"}, follow_redirects=False)
    assert saved.status_code == 303
    session.expire_all()
    stored = setup.billing_settings(session, tenant.id)
    assert (stored.mode, stored.billing_day, stored.payment_terms_days,
            stored.min_invoice_amount, stored.prices_include_tax) == (
        "postpaid", None, 7, Decimal("2.50"), True)


def test_numbering_names_every_bad_template_and_taxes_save(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    sign_in(client, admin.user.email, admin.password)
    token = csrf_of(client.get(PAGE).text)
    bad = client.post(f"{PAGE}/numbering", data={**NUMBERS, "csrf_token": token,
                                                 "invoice_template": "INV-{year}",
                                                 "receipt_template": "R-{seq}-{day}"})
    assert bad.status_code == 422
    text = visible(bad.text)
    assert "Invoice numbers: invalid number template" in text and \
        "Receipt numbers: invalid number template" in text
    session.expire_all()
    assert setup.billing_settings(session, tenant.id).payment_template == "PAY-{year}-{seq:05d}"
    ok = client.post(f"{PAGE}/numbering", data={**NUMBERS, "csrf_token": token},
                     follow_redirects=False)
    assert ok.status_code == 303
    session.expire_all()
    assert setup.billing_settings(session, tenant.id).payment_template == "PAY-{seq}"
    wrong_rate = client.post(f"{PAGE}/taxes/new", data={"csrf_token": token, "name": "",
                                                        "rate": "150"})
    assert wrong_rate.status_code == 422
    assert "Tax name: required" in visible(wrong_rate.text) and \
        "Rate (%): " in visible(wrong_rate.text)
    added = client.post(f"{PAGE}/taxes/new", data={"csrf_token": token, "name": "VAT",
                                                   "rate": "7.5"}, follow_redirects=False)
    assert added.status_code == 303
    (vat,) = setup.list_tax_rates(session, tenant.id, PageParams(limit=5)).items
    chosen = client.post(f"{PAGE}/taxes", data={"csrf_token": token,
                                                "default_tax_rate_ids": [str(vat.id)]},
                         follow_redirects=False)
    assert chosen.status_code == 303
    session.expire_all()
    assert [r.name for r in setup.rates_for_tenant(session, tenant.id)] == ["VAT"]


def test_read_only_staff_and_other_tenants_rates(
        client: TestClient, session: Session, settings: Settings, tenant: Tenant,
        other_tenant: Tenant) -> None:
    theirs = setup.create_tax_rate(session, other_tenant.id, "Their VAT", Decimal("20"))
    admin = make_user(session, settings, tenant, "admin")
    sign_in(client, admin.user.email, admin.password)
    page = client.get(PAGE)
    assert "Their VAT" not in page.text
    refused = client.post(f"{PAGE}/taxes", data={"csrf_token": csrf_of(page.text),
                                                 "default_tax_rate_ids": [str(theirs.id)]})
    assert refused.status_code in (404, 422)
    session.expire_all()
    assert setup.billing_settings(session, tenant.id).default_tax_rate_ids == []
    viewer = make_user(session, settings, tenant, "read_only")
    client.cookies.clear()
    sign_in(client, viewer.user.email, viewer.password)
    page = client.get(PAGE)
    assert page.status_code == 200 and 'data-action="save"' not in page.text
    token = csrf_of(page.text)
    assert client.post(f"{PAGE}/general", data={"csrf_token": token, "name": "Taken",
                                                "currency": "EUR",
                                                "timezone": "UTC"}).status_code == 403
    assert client.post(f"{PAGE}/numbering", data={**NUMBERS,
                                                  "csrf_token": token}).status_code == 403
    session.expire_all()
    assert (tenant.currency, setup.billing_settings(session, tenant.id).payment_template) == (
        "USD", "PAY-{year}-{seq:05d}")


def _png() -> bytes:
    from io import BytesIO

    from PIL import Image
    out = BytesIO()
    Image.new("RGB", (60, 20), (11, 92, 173)).save(out, format="PNG")
    return out.getvalue()


def test_company_details_and_logo_are_checked_then_printed_on_invoices(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOTMAC_SUPPORT_ATTACHMENTS_DIR", str(tmp_path / "files"))
    get_support_settings.cache_clear()
    try:
        sign_in(client, admin.user.email, admin.password)
        token = csrf_of(client.get(PAGE).text)
        details = {"csrf_token": token, "company_address": "12 Marina Road\nLagos",
                   "company_tax_id": "TIN-0099", "company_email": "billing at isp",
                   "company_phone": "+234 1 000"}
        bad = client.post(f"{PAGE}/company", data=details,
                          files={"logo": ("logo.png", b"not an image", "image/png")})
        assert bad.status_code == 422
        text = visible(bad.text)
        assert "Email: 'billing at isp' is not an email address" in text and \
            "Logo: only PNG or JPEG images are accepted" in text
        big = client.post(f"{PAGE}/company", data={**details, "company_email": "b@isp.ng"},
                          files={"logo": ("logo.png", _png() + b"0" * 600_000, "image/png")})
        assert big.status_code == 422 and "Logo: at most 512 KB" in visible(big.text)
        session.expire_all()
        stored = setup.billing_settings(session, tenant.id)
        assert (stored.company_address, stored.logo_key) == ("", None)
        assert not (tmp_path / "files").exists()  # nothing written for a refused form
        ok = client.post(f"{PAGE}/company", data={**details, "company_email": "b@isp.ng"},
                         files={"logo": ("logo.png", _png(), "image/png")},
                         follow_redirects=False)
        assert ok.status_code == 303
        session.expire_all()
        stored = setup.billing_settings(session, tenant.id)
        assert stored.logo_key is not None and (tmp_path / "files" / stored.logo_key).exists()
        assert 'data-testid="logo-set"' in client.get(PAGE).text
        customer = make_customer(session, tenant)
        issued = invoice(session, tenant, customer.id, "25.00")
        document = billing_service.invoice_document(session, tenant.id, issued.id)
        printed = pdf_text(document.content)
        assert "12 Marina Road, Lagos" in printed and "Tax id TIN-0099" in printed
        assert b"/Subtype /Image" in document.content
    finally:
        get_support_settings.cache_clear()
