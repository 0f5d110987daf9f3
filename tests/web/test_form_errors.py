"""Form errors name fields as their labels read, a form shows all its errors at once, each
beside its field with what was typed kept, and a refused form stores nothing."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.customers.schemas import CustomerCreate
from dotmac_isp.modules.customers.web import CUSTOMER_FIELDS, CUSTOMER_LABELS
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.services.models import Subscription
from dotmac_isp.web.forms import FormErrors, validate_form
from tests.support.customers import make_customer, make_plan, make_subscription
from tests.support.factories import StaffUser
from tests.web.form_support import assert_beside, read_form
from tests.web.test_admin_pages import csrf_of, sign_in


def test_a_rule_over_several_fields_names_their_labels() -> None:
    model, errors = validate_form(CustomerCreate, {"kind": "residential"}, CUSTOMER_LABELS)
    assert model is None
    assert errors == ["Give a First name / Last name or a Company"]
    assert errors.general == errors  # about no one field: shown above the form
    assert not any("_" in e for e in errors)


def test_field_errors_and_rules_are_all_reported_each_under_its_field() -> None:
    _model, errors = validate_form(CustomerCreate, {
        "kind": "business", "first_name": "x" * 101, "email": "not-an-email",
        "addresses": [{"kind": "service", "line1": "1 Road", "city": "Lagos",
                       "country": "Nigeria"}]}, CUSTOMER_LABELS, CUSTOMER_FIELDS)
    assert [e.split(":")[0] for e in errors.on("first_name")] == ["First name"]
    assert [e.split(":")[0] for e in errors.on("email")] == ["Email"]
    assert [e.split(":")[0] for e in errors.on("country")] == ["Country"]
    # the business rule is checked too, although fields failed first
    assert errors.general == ["A business customer needs a Company"]


def test_a_line_added_as_text_is_placed_by_its_label() -> None:
    errors = FormErrors({"amount": "Amount"})
    errors.append("Amount: must be positive")
    errors.append("The invoice is already paid")
    assert errors.on("amount") == ["Amount: must be positive"]
    assert errors.general == ["The invoice is already paid"]


def _count(session: Session, model: type[Any], *where: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_new_customer_page_shows_each_error_beside_its_field_and_writes_nothing(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    sign_in(client, admin.user.email, admin.password)
    token = csrf_of(client.get("/admin/customers/new").text)
    before = _count(session, Customer, Customer.tenant_id == tenant.id)
    page = client.post("/admin/customers/new", data={
        "csrf_token": token, "kind": "business", "first_name": "Ngozi",
        "email": "ngozi-at-example", "line1": "3 Broad St", "city": "Lagos",
        "country": "N1"})
    assert_beside(page, {"email": "Email", "country": "Country"})
    walk = read_form(page.text)
    assert any("needs a Company" in e for e in walk.general)
    assert "first_name" not in page.text.split('data-testid="form-errors"')[1][:400]
    assert walk.values["first_name"] == "Ngozi" and walk.values["country"] == "N1"
    assert _count(session, Customer, Customer.tenant_id == tenant.id) == before


def test_new_subscription_form_shows_its_errors_beside_the_fields(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant) -> None:
    customer = make_customer(session, tenant)
    sign_in(client, admin.user.email, admin.password)
    form = client.get(f"/admin/subscriptions/new?customer_id={customer.id}")
    assert form.status_code == 200
    token = csrf_of(form.text)
    page = client.post("/admin/subscriptions/new", data={
        "csrf_token": token, "customer_id": str(customer.id), "plan_id": "",
        "service_address_id": "not-an-id", "contract_end_date": "2026-02-30",
        "radius_username": "a b", "notes": "by phone"})
    assert "text/html" in page.headers["content-type"]
    assert_beside(page, {"plan_id": "Plan", "service_address_id": "Service address",
                         "contract_end_date": "Contract end date",
                         "radius_username": "RADIUS username"})
    assert "plan_id" not in read_form(page.text).general
    walk = read_form(page.text)
    assert walk.values["radius_username"] == "a b"
    assert walk.values["contract_end_date"] == "2026-02-30"
    assert _count(session, Subscription, Subscription.customer_id == customer.id) == 0


def test_new_subscription_refusals_of_the_service_show_beside_their_fields(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant) -> None:
    customer = make_customer(session, tenant)
    other = make_customer(session, tenant)
    plan = make_plan(session, tenant)
    make_subscription(session, settings, tenant, customer=other, plan=plan,
                      radius_username="taken-name")
    sign_in(client, admin.user.email, admin.password)
    token = csrf_of(client.get(f"/admin/customers/{customer.id}").text)
    page = client.post("/admin/subscriptions/new", data={
        "csrf_token": token, "customer_id": str(customer.id), "plan_id": str(plan.id),
        "radius_username": "Taken-Name", "contract_end_date": "2001-01-31"})
    # a date in the past is refused before the service is asked
    assert_beside(page, {"contract_end_date": "Contract end date"})
    page = client.post("/admin/subscriptions/new", data={
        "csrf_token": token, "customer_id": str(customer.id), "plan_id": str(plan.id),
        "radius_username": "Taken-Name"})
    found = assert_beside(page, {"radius_username": "RADIUS username"})
    assert "already in use" in found["radius_username"][0]
    page = client.post("/admin/subscriptions/new", data={
        "csrf_token": token, "customer_id": str(customer.id), "plan_id": str(plan.id),
        "service_address_id": str(other.addresses[0].id)})
    assert_beside(page, {"service_address_id": "Service address"})
    assert _count(session, Subscription, Subscription.customer_id == customer.id) == 0
    # corrected, the same form creates the subscription
    done = client.post("/admin/subscriptions/new", data={
        "csrf_token": token, "customer_id": str(customer.id), "plan_id": str(plan.id),
        "radius_username": "fresh-name"}, follow_redirects=False)
    assert done.status_code == 303
    assert _count(session, Subscription, Subscription.customer_id == customer.id) == 1
