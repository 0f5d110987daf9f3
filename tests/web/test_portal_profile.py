"""The portal profile: contact details and email choices stored and audit-logged as the
customer's; bad input shown beside its field with nothing stored; a new password only with
the current one."""

from __future__ import annotations

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.customers import portal
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.customers.schemas import PortalAccountCreate
from dotmac_isp.modules.identity.models import AuditLog, Tenant
from tests.support.customers import make_customer
from tests.web.billing_support import visible
from tests.web.test_admin_pages import csrf_of
from tests.web.test_billing_portal import portal_sign_in

CONTACT = {"email": "new@home.example", "phone": "+44 20 7946 0000",
           "line1": "1 Harbour Street", "line2": "Flat 2", "city": "Leith",
           "region": "Edinburgh", "postal_code": "EH6 6AA", "country": "gb"}


def signed_in(client: TestClient, session: Session, settings: Settings,
              tenant: Tenant) -> Customer:
    customer = make_customer(session, tenant, email="me@home.example")
    portal.create_account(session, settings, tenant.id, customer.id,
                          PortalAccountCreate(password="my-portal-pw"))
    portal_sign_in(client, tenant.slug, "me@home.example", "my-portal-pw")
    return customer


def post(client: TestClient, tenant: Tenant, path: str, data: dict[str, str]) -> Response:
    token = csrf_of(client.get(f"/portal/{tenant.slug}/profile").text)
    return client.post(f"/portal/{tenant.slug}/profile/{path}",
                       data={"csrf_token": token, **data}, follow_redirects=False)


def test_contact_details_are_stored_and_audited(
        client: TestClient, session: Session, settings: Settings, tenant: Tenant) -> None:
    me = signed_in(client, session, settings, tenant)
    other = make_customer(session, tenant, email="other@home.example")
    page = client.get(f"/portal/{tenant.slug}/profile")
    assert 'value="me@home.example"' in page.text and 'value="12 Marina Road"' in page.text

    saved = post(client, tenant, "contact", CONTACT)
    assert saved.status_code == 303
    after = client.get(saved.headers["location"])
    assert "Your contact details are saved." in after.text
    assert 'value="new@home.example"' in after.text and 'value="GB"' in after.text
    session.expire_all()
    customer = session.get(Customer, me.id)
    assert customer is not None
    assert (customer.email, customer.phone) == ("new@home.example", "+44 20 7946 0000")
    billing = [a for a in customer.addresses if a.kind == "billing"]
    assert [(a.line1, a.city, a.postal_code, a.country) for a in billing] == [
        ("1 Harbour Street", "Leith", "EH6 6AA", "GB")]
    service = [a for a in customer.addresses if a.kind == "service"]
    assert [a.line1 for a in service] == ["12 Marina Road"]  # where the line is stays put
    untouched = session.get(Customer, other.id)
    assert untouched is not None and untouched.email == "other@home.example"
    entries = session.scalars(select(AuditLog).where(
        AuditLog.tenant_id == tenant.id, AuditLog.actor_type == "customer")).all()
    assert {(e.entity_type, e.action) for e in entries} >= {("customers", "update"),
                                                             ("customer_addresses", "create")}
    assert {e.actor_label for e in entries} == {"me@home.example"}
    changed = next(e for e in entries if e.entity_type == "customers")
    assert changed.entity_id == str(me.id) and changed.after is not None
    assert changed.after["email"] == "new@home.example"


def test_bad_input_is_shown_beside_its_field_and_nothing_is_stored(
        client: TestClient, session: Session, settings: Settings, tenant: Tenant) -> None:
    me = signed_in(client, session, settings, tenant)
    bad = {**CONTACT, "email": "not-an-email", "phone": "call me maybe", "country": "GBR"}
    response = post(client, tenant, "contact", bad)
    assert response.status_code == 422
    text = visible(response.text)
    assert "Nothing was saved" in text
    # each message right under its field's label and box, before the next field
    assert "Email enter an email address such as name@example.com Phone use digits" in text
    assert "Country code use the two-letter country code, such as NG or GB Save" in text
    assert 'aria-invalid="true" aria-describedby="country-error"' in response.text
    assert 'value="call me maybe"' in response.text  # what was typed is kept to correct
    assert 'data-testid="error-city"' not in response.text
    half_address = post(client, tenant, "contact", {**CONTACT, "line1": ""})
    assert half_address.status_code == 422
    assert 'data-testid="error-line1"' in half_address.text
    session.expire_all()
    customer = session.get(Customer, me.id)
    assert customer is not None and customer.email == "me@home.example"
    assert customer.phone == "+234 803 555 0101"
    assert [a.kind for a in customer.addresses] == ["service"]
    assert not session.scalars(select(AuditLog).where(
        AuditLog.tenant_id == tenant.id, AuditLog.actor_type == "customer")).all()


def test_email_choices_are_stored(client: TestClient, session: Session, settings: Settings,
                                  tenant: Tenant) -> None:
    me = signed_in(client, session, settings, tenant)
    page = client.get(f"/portal/{tenant.slug}/profile")
    assert page.text.count("checked") == 3  # all on until the customer says otherwise
    assert post(client, tenant, "notifications",
                {"notify_invoices": "1"}).status_code == 303
    session.expire_all()
    customer = session.get(Customer, me.id)
    assert customer is not None
    assert (customer.notify_invoices, customer.notify_receipts,
            customer.notify_outages) == (True, False, False)
    page = client.get(f"/portal/{tenant.slug}/profile")
    assert page.text.count("checked") == 1
    audited = session.scalars(select(AuditLog).where(
        AuditLog.tenant_id == tenant.id, AuditLog.actor_type == "customer")).one()
    assert audited.after == {"notify_receipts": False, "notify_outages": False}


def test_password_change_needs_the_current_password(
        client: TestClient, session: Session, settings: Settings, tenant: Tenant) -> None:
    signed_in(client, session, settings, tenant)
    slug = tenant.slug
    wrong = post(client, tenant, "password", {"current_password": "guess",
                                              "new_password": "a-better-password-1",
                                              "confirm_password": "a-better-password-1"})
    assert wrong.status_code == 422
    assert "this is not your current password" in visible(wrong.text)
    assert 'data-testid="error-current_password"' in wrong.text
    short = post(client, tenant, "password", {"current_password": "my-portal-pw",
                                              "new_password": "short",
                                              "confirm_password": "short"})
    assert short.status_code == 422
    minimum = settings.auth.min_password_length
    assert f"password must be at least {minimum} characters" in short.text
    assert 'data-testid="error-new_password"' in short.text
    mismatch = post(client, tenant, "password", {"current_password": "my-portal-pw",
                                                 "new_password": "a-better-password-1",
                                                 "confirm_password": "a-better-password-2"})
    assert 'data-testid="error-confirm_password"' in mismatch.text

    # a second browser signed in with the old password
    with TestClient(client.app, raise_server_exceptions=False) as elsewhere:
        portal_sign_in(elsewhere, slug, "me@home.example", "my-portal-pw")
        changed = post(client, tenant, "password", {"current_password": "my-portal-pw",
                                                    "new_password": "a-better-password-1",
                                                    "confirm_password": "a-better-password-1"})
        assert changed.status_code == 303
        assert client.get(f"/portal/{slug}", follow_redirects=False).status_code == 200
        assert elsewhere.get(f"/portal/{slug}", follow_redirects=False).status_code == 303
    client.cookies.clear()
    token = csrf_of(client.get(f"/portal/{slug}/login").text)
    old = client.post(f"/portal/{slug}/login", data={
        "csrf_token": token, "login": "me@home.example", "password": "my-portal-pw"})
    assert old.status_code == 401
    portal_sign_in(client, slug, "me@home.example", "a-better-password-1")
    audited = session.scalars(select(AuditLog).where(
        AuditLog.tenant_id == tenant.id, AuditLog.actor_type == "customer",
        AuditLog.entity_type == "portal_accounts")).all()
    assert len(audited) == 1 and audited[0].after is not None
    assert "password_changed_at" in audited[0].after
    assert "password_hash" not in audited[0].after
