"""Form errors name fields as their labels read, and a form shows all its errors at once."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.customers.schemas import CustomerCreate
from dotmac_isp.modules.customers.web import CUSTOMER_LABELS
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.services.models import Subscription
from dotmac_isp.web.form_errors import validate_form
from tests.support.customers import make_customer
from tests.support.factories import StaffUser
from tests.web.test_admin_pages import csrf_of, sign_in


def test_a_rule_over_several_fields_names_their_labels() -> None:
    model, errors = validate_form(CustomerCreate, {"kind": "residential"}, CUSTOMER_LABELS)
    assert model is None
    assert errors == ["Give a First name / Last name or a Company"]
    assert not any("_" in e for e in errors)


def test_field_errors_and_rules_are_all_reported() -> None:
    _model, errors = validate_form(CustomerCreate, {
        "kind": "business", "first_name": "x" * 101, "email": "not-an-email",
        "addresses": [{"kind": "service", "line1": "1 Road", "city": "Lagos",
                       "country": "Nigeria"}]}, CUSTOMER_LABELS)
    labels = [e.split(":")[0] for e in errors]
    assert "First name" in labels and "Email" in labels and "Country" in labels
    # the business rule is checked too, although fields failed first
    assert "A business customer needs a Company" in errors


def test_new_customer_page_shows_every_error_by_label_and_writes_nothing(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    sign_in(client, admin.user.email, admin.password)
    token = csrf_of(client.get("/admin/customers/new").text)
    before = session.scalar(select(func.count()).select_from(Customer)
                            .where(Customer.tenant_id == tenant.id))
    page = client.post("/admin/customers/new", data={
        "csrf_token": token, "kind": "business", "first_name": "Ngozi",
        "email": "ngozi-at-example", "line1": "3 Broad St", "city": "Lagos",
        "country": "N1"})
    assert page.status_code == 422
    errors = page.text.split('data-testid="form-errors"')[1].split("</div>")[0]
    assert "Email:" in errors and "Country:" in errors and "needs a Company" in errors
    assert "first_name" not in errors and "company_name" not in errors
    assert 'value="Ngozi"' in page.text  # what was typed stays
    assert session.scalar(select(func.count()).select_from(Customer)
                          .where(Customer.tenant_id == tenant.id)) == before


def test_subscription_form_errors_name_the_labels(client: TestClient, admin: StaffUser,
                                                  session: Session, tenant: Tenant) -> None:
    customer = make_customer(session, tenant)
    sign_in(client, admin.user.email, admin.password)
    token = csrf_of(client.get(f"/admin/customers/{customer.id}").text)
    page = client.post("/admin/subscriptions/new", data={
        "csrf_token": token, "customer_id": str(customer.id), "plan_id": "",
        "service_address_id": "not-an-id"})
    assert page.status_code == 422 and "text/html" in page.headers["content-type"]
    assert "Plan:" in page.text and "Service address:" in page.text
    assert "plan_id" not in page.text
    assert session.scalar(select(func.count()).select_from(Subscription)
                          .where(Subscription.customer_id == customer.id)) == 0
