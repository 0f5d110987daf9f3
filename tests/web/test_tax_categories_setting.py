"""The settings page's e-invoice tax categories: each tax rate's UNCL5305 code and the
untaxed lines' one, with the exemption reason required for E, AE, K, G and O; every mistake
beside its field, nothing saved until all are right; another tenant's rates are untouched."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import setup, tax_categories
from dotmac_isp.modules.billing.models import TaxRate
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.shared.errors import ValidationFailed
from tests.support.factories import StaffUser
from tests.web.billing_support import visible
from tests.web.test_admin_pages import csrf_of, sign_in


def _beside(html: str, field: str) -> str:
    """The text right after a field, up to the next field (where its error is shown)."""
    after = html.split(f'name="{field}"', 1)[1]
    return visible(after.split("<label", 1)[0].split("</fieldset>", 1)[0])


def _rate(session: Session, rate_id: object) -> TaxRate:
    session.expire_all()
    found = session.get(TaxRate, rate_id)
    assert found is not None
    return found


def test_categories_are_checked_beside_each_field_then_saved(
        client: TestClient, session: Session, admin: StaffUser, tenant: Tenant,
        other_tenant: Tenant) -> None:
    vat = setup.create_tax_rate(session, tenant.id, "VAT", Decimal("19"))
    zero = setup.create_tax_rate(session, tenant.id, "Books", Decimal("0"))
    theirs = setup.create_tax_rate(session, other_tenant.id, "Their VAT", Decimal("16"))
    session.flush()
    sign_in(client, admin.user.email, admin.password)
    page = client.get("/admin/settings")
    assert page.status_code == 200
    assert 'name="category_code_' + str(vat.id) + '"' in page.text
    assert str(theirs.id) not in page.text

    wrong = client.post("/admin/settings/tax-categories", data={
        "csrf_token": csrf_of(page.text),
        f"category_code_{vat.id}": "X", f"exemption_reason_{vat.id}": "",
        f"category_code_{zero.id}": "E", f"exemption_reason_{zero.id}": "  ",
        "untaxed_category": "AE", "untaxed_exemption_reason": ""})
    assert wrong.status_code == 422
    assert "VAT: category: 'X' is not one of S, Z, E, AE, K, G, O, L, M" in _beside(
        wrong.text, f"category_code_{vat.id}")
    assert "Books: exemption reason: required for category E (exempt)" in _beside(
        wrong.text, f"exemption_reason_{zero.id}")
    assert ("Lines without tax: exemption reason: required for category AE (reverse charge)"
            in _beside(wrong.text, "untaxed_exemption_reason"))
    assert _rate(session, zero.id).category_code == "S"  # nothing saved
    assert setup.billing_settings(session, tenant.id).untaxed_category == "E"

    saved = client.post("/admin/settings/tax-categories", data={
        "csrf_token": csrf_of(page.text),
        f"category_code_{vat.id}": "S", f"exemption_reason_{vat.id}": "left over",
        f"category_code_{zero.id}": "E", f"exemption_reason_{zero.id}": "Books, Art. 132",
        "untaxed_category": "O", "untaxed_exemption_reason": "Not subject to VAT",
        f"category_code_{theirs.id}": "Z"})
    assert saved.status_code == 200, visible(saved.text)
    assert "E-invoice tax categories saved." in visible(saved.text)
    assert (_rate(session, vat.id).category_code, _rate(session, vat.id).exemption_reason) == (
        "S", "")  # a standard rate has no exemption reason
    books = _rate(session, zero.id)
    assert (books.category_code, books.exemption_reason) == ("E", "Books, Art. 132")
    settings = setup.billing_settings(session, tenant.id)
    session.refresh(settings)
    assert (settings.untaxed_category, settings.untaxed_exemption_reason) == (
        "O", "Not subject to VAT")
    assert _rate(session, theirs.id).category_code == "S"  # another tenant's: untouched
    assert 'value="Books, Art. 132"' in saved.text


@pytest.mark.parametrize("code", ["E", "AE", "K", "G", "O"])
def test_a_category_without_tax_needs_a_reason(code: str) -> None:
    assert "reason" in tax_categories.problems(tax_categories.Category(code, ""))
    assert tax_categories.problems(tax_categories.Category(code, "why")) == {}


@pytest.mark.parametrize("code", ["S", "Z", "L", "M"])
def test_other_categories_need_none(code: str) -> None:
    assert tax_categories.problems(tax_categories.Category(code, "")) == {}


def test_the_service_refuses_a_bad_category_before_saving_any(
        session: Session, tenant: Tenant) -> None:
    vat = setup.create_tax_rate(session, tenant.id, "VAT", Decimal("19"))
    with pytest.raises(ValidationFailed):
        tax_categories.save(session, tenant.id, {vat.id: tax_categories.Category("Z")},
                            tax_categories.Category("K"))
    assert _rate(session, vat.id).category_code == "S"
