"""Staff and customer pages for customers, plans and subscriptions (over HTTP)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.customers import portal
from dotmac_isp.modules.customers.schemas import PortalAccountCreate
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.services.enums import SubscriptionStatus
from tests.support.customers import make_customer, make_plan, make_subscription
from tests.support.factories import StaffUser, make_user
from tests.web.test_admin_pages import csrf_of, sign_in


def test_customer_list_search_and_detail(client: TestClient, admin: StaffUser,
                                         session: Session, settings: Settings,
                                         tenant: Tenant) -> None:
    sub = make_subscription(session, settings, tenant, status=SubscriptionStatus.ACTIVE,
                            customer=make_customer(session, tenant, last_name="Adebayo"))
    make_customer(session, tenant, last_name="Someone-Else")
    sign_in(client, admin.user.email, admin.password)
    listing = client.get("/admin/customers", params={"q": "adebayo"})
    assert listing.status_code == 200
    assert "Adebayo" in listing.text and "Someone-Else" not in listing.text
    partial = client.get("/admin/customers", params={"q": "adebayo"},
                         headers={"HX-Request": "true"})
    assert "<html" not in partial.text and "Adebayo" in partial.text
    detail = client.get(f"/admin/customers/{sub.customer_id}")
    assert sub.radius_username in detail.text and "active" in detail.text


def test_create_customer_form_shows_errors_then_creates(client: TestClient,
                                                        admin: StaffUser) -> None:
    sign_in(client, admin.user.email, admin.password)
    token = csrf_of(client.get("/admin/customers/new").text)
    bad = client.post("/admin/customers/new", data={"csrf_token": token, "kind": "business",
                                                    "first_name": "No", "last_name": "Company"})
    assert bad.status_code == 422 and "needs a Company" in bad.text
    good = client.post("/admin/customers/new", data={
        "csrf_token": token, "kind": "residential", "first_name": "Tobi", "last_name": "Ade",
        "email": "tobi@example.com", "line1": "5 Allen Ave", "city": "Ikeja", "country": "NG"},
        follow_redirects=True)
    assert good.status_code == 200 and "Customer C000001 created" in good.text


def test_suspend_needs_confirmation_and_a_reason(client: TestClient, admin: StaffUser,
                                                 session: Session, settings: Settings,
                                                 tenant: Tenant) -> None:
    sub = make_subscription(session, settings, tenant, status=SubscriptionStatus.ACTIVE)
    sign_in(client, admin.user.email, admin.password)
    confirm = client.get(f"/admin/subscriptions/{sub.id}/confirm", params={"action": "suspend"})
    assert "Suspend" in confirm.text and "loses service" in confirm.text
    token = csrf_of(confirm.text)
    no_reason = client.post(f"/admin/subscriptions/{sub.id}/confirm?action=suspend",
                            data={"csrf_token": token, "reason": ""})
    assert no_reason.status_code == 422 and "give a reason" in no_reason.text
    done = client.post(f"/admin/subscriptions/{sub.id}/confirm?action=suspend",
                       data={"csrf_token": token, "reason": "unpaid since May"},
                       follow_redirects=True)
    assert "Suspend: done" in done.text and "unpaid since May" in done.text
    illegal = client.post(f"/admin/subscriptions/{sub.id}/confirm?action=suspend",
                          data={"csrf_token": token, "reason": "again"})
    assert illegal.status_code == 409 and "already suspended" in illegal.text


def test_read_only_staff_see_pages_but_not_actions(client: TestClient, session: Session,
                                                   settings: Settings, tenant: Tenant) -> None:
    viewer = make_user(session, settings, tenant, "read_only")
    sub = make_subscription(session, settings, tenant, status=SubscriptionStatus.ACTIVE)
    sign_in(client, viewer.user.email, viewer.password)
    page = client.get(f"/admin/subscriptions/{sub.id}")
    assert page.status_code == 200 and "data-action" not in page.text
    refused = client.get(f"/admin/subscriptions/{sub.id}/confirm", params={"action": "suspend"})
    assert refused.status_code == 403 and "services:write" in refused.text


def test_plan_catalogue_page(client: TestClient, admin: StaffUser, session: Session,
                             tenant: Tenant) -> None:
    make_plan(session, tenant, name="Fibre 250")
    sign_in(client, admin.user.email, admin.password)
    page = client.get("/admin/plans")
    assert "Fibre 250" in page.text and "50 Mbit/s" in page.text
    token = csrf_of(page.text)
    bad = client.post("/admin/plans", data={"csrf_token": token, "name": "X", "kind": "internet",
                                            "price": "abc"})
    assert bad.status_code == 422 and "price" in bad.text
    ok = client.post("/admin/plans", data={
        "csrf_token": token, "name": "Fibre 1000", "kind": "internet", "download_kbps": "1000000",
        "upload_kbps": "500000", "price": "89.00", "billing_cycle": "monthly"},
        follow_redirects=True)
    assert "Plan Fibre 1000 created" in ok.text and "1000 Mbit/s" in ok.text


def test_portal_sign_in_shows_only_my_services(client: TestClient, session: Session,
                                               settings: Settings, tenant: Tenant) -> None:
    mine = make_subscription(session, settings, tenant, status=SubscriptionStatus.ACTIVE,
                             plan=make_plan(session, tenant, name="My Fibre"))
    make_subscription(session, settings, tenant, plan=make_plan(session, tenant,
                                                                name="Their Fibre"))
    portal.create_account(session, settings, tenant.id, mine.customer_id,
                          PortalAccountCreate(login="me@home.example", password="my-portal-pw"))
    assert client.get("/portal", follow_redirects=False).status_code in (200, 303)
    home = client.get(f"/portal/{tenant.slug}", follow_redirects=False)
    assert home.status_code == 303 and "/login" in home.headers["location"]
    token = csrf_of(client.get(f"/portal/{tenant.slug}/login").text)
    wrong = client.post(f"/portal/{tenant.slug}/login", data={
        "csrf_token": token, "login": "me@home.example", "password": "nope"})
    assert wrong.status_code == 401 and "invalid login or password" in wrong.text
    ok = client.post(f"/portal/{tenant.slug}/login", data={
        "csrf_token": token, "login": "me@home.example", "password": "my-portal-pw"},
        follow_redirects=True)
    assert "My Fibre" in ok.text and "Their Fibre" not in ok.text
    # a portal session is not a staff session
    assert client.get("/admin", follow_redirects=False).status_code == 303


def test_portal_lockout(client: TestClient, session: Session, settings: Settings,
                        tenant: Tenant) -> None:
    customer = make_customer(session, tenant, email="lock@home.example")
    portal.create_account(session, settings, tenant.id, customer.id,
                          PortalAccountCreate(password="right-password-1"))
    token = csrf_of(client.get(f"/portal/{tenant.slug}/login").text)
    for _ in range(5):
        client.post(f"/portal/{tenant.slug}/login", data={
            "csrf_token": token, "login": "lock@home.example", "password": "wrong"})
    locked = client.post(f"/portal/{tenant.slug}/login", data={
        "csrf_token": token, "login": "lock@home.example", "password": "right-password-1"})
    assert locked.status_code == 423 and "locked" in locked.text
