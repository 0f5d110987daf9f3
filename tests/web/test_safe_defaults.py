"""No destructive choice is preselected, and a change dated in the past says what it did."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.customers.enums import CustomerStatus
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.services import service
from dotmac_isp.modules.services.enums import SubscriptionStatus
from tests.modules.billing.helpers import world
from tests.support.customers import make_customer, make_plan, make_subscription
from tests.support.factories import StaffUser
from tests.web.test_admin_pages import csrf_of, sign_in


def _select(html: str, select_id: str) -> str:
    match = re.search(rf'<select id="{select_id}".*?</select>', html, re.S)
    assert match, select_id
    return match.group(0)


def _preselected(select_html: str) -> str:
    chosen = re.findall(r'<option value="([^"]*)"[^>]*\bselected\b', select_html)
    first = re.findall(r'<option value="([^"]*)"', select_html)
    return chosen[0] if chosen else first[0]


def test_customer_status_select_preselects_nothing(client: TestClient, admin: StaffUser,
                                                   session: Session, tenant: Tenant) -> None:
    customer = make_customer(session, tenant, status=CustomerStatus.ACTIVE)
    sign_in(client, admin.user.email, admin.password)
    page = client.get(f"/admin/customers/{customer.id}")
    status = _select(page.text, "cust-status")
    assert "closed" in status and _preselected(status) == ""
    # submitting the untouched form changes nothing
    client.post(f"/admin/customers/{customer.id}/status",
                data={"csrf_token": csrf_of(page.text), "status": ""})
    session.refresh(customer)
    assert customer.status == CustomerStatus.ACTIVE


def test_plan_change_page_preselects_no_plan(client: TestClient, admin: StaffUser,
                                             session: Session, settings: Settings,
                                             tenant: Tenant) -> None:
    sub = make_subscription(session, settings, tenant, status=SubscriptionStatus.ACTIVE)
    other = make_plan(session, tenant, name="Fibre 500")
    sign_in(client, admin.user.email, admin.password)
    page = client.get(f"/admin/subscriptions/{sub.id}/confirm",
                      params={"action": "change_plan"})
    plans = _select(page.text, "plan_id")
    assert str(other.id) in plans and _preselected(plans) == ""
    untouched = client.post(f"/admin/subscriptions/{sub.id}/confirm?action=change_plan",
                            data={"csrf_token": csrf_of(page.text), "plan_id": ""})
    assert untouched.status_code == 422 and "choose the new plan" in untouched.text
    session.refresh(sub)
    assert sub.plan_id != other.id


def test_backdated_plan_change_is_applied_as_dated_and_says_so(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant) -> None:
    w = world(session, settings, tenant)
    today = datetime.now(UTC).date()
    sub = w.subscribe(today - timedelta(days=20))
    bigger = make_plan(session, tenant, price=Decimal("60.00"))
    sign_in(client, admin.user.email, admin.password)
    token = csrf_of(client.get(f"/admin/subscriptions/{sub.id}").text)
    dated = today - timedelta(days=5)
    done = client.post(f"/admin/subscriptions/{sub.id}/confirm?action=change_plan",
                       data={"csrf_token": token, "plan_id": str(bigger.id),
                             "effective_date": dated.isoformat()}, follow_redirects=True)
    assert done.status_code == 200
    assert f"backdated to {dated:%Y-%m-%d}" in done.text and "billing" in done.text
    [change] = service.plan_changes(session, tenant.id, sub.id)
    assert change.effective_at.date() in (dated, dated - timedelta(days=1))  # tenant zone


def test_plan_change_dated_too_far_back_is_refused_with_a_clear_message(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant) -> None:
    w = world(session, settings, tenant)
    today = datetime.now(UTC).date()
    sub = w.subscribe(today - timedelta(days=90))
    bigger = make_plan(session, tenant, price=Decimal("60.00"))
    sign_in(client, admin.user.email, admin.password)
    token = csrf_of(client.get(f"/admin/subscriptions/{sub.id}").text)
    refused = client.post(f"/admin/subscriptions/{sub.id}/confirm?action=change_plan",
                          data={"csrf_token": token, "plan_id": str(bigger.id),
                                "effective_date": (today - timedelta(days=60)).isoformat()})
    assert refused.status_code == 422 and "text/html" in refused.headers["content-type"]
    assert "Effective date: may be backdated by at most 31 days" in refused.text
    assert "effective_at" not in refused.text
    assert service.plan_changes(session, tenant.id, sub.id) == []
