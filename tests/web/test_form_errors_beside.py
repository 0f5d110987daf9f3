"""Each console form, given bad input, shows every error beside its field named by the label
the page shows, keeps what was typed, and stores nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing import service as billing_service
from dotmac_isp.modules.billing.enums import PaymentMethod
from dotmac_isp.modules.billing.models import CreditNote, Payment, Refund
from dotmac_isp.modules.billing.payments import PaymentInput
from dotmac_isp.modules.customers import portal
from dotmac_isp.modules.customers.schemas import PortalAccountCreate
from dotmac_isp.modules.identity.models import ApiKey, Role, Tenant, User
from dotmac_isp.modules.network.devices.models import Device, Site
from dotmac_isp.modules.network.radius.models import NasClient
from dotmac_isp.modules.services import service
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.modules.services.models import Plan, PlanAddon
from dotmac_isp.modules.support.models import Team, Ticket, TicketMessage
from dotmac_isp.modules.support.sla_models import BusinessCalendar, EscalationRule, SlaPolicy
from tests.modules.support.factories import open_ticket
from tests.support.customers import make_customer, make_subscription
from tests.support.factories import StaffUser
from tests.web.billing_support import invoice, with_vat
from tests.web.form_support import assert_beside, read_form
from tests.web.test_admin_pages import csrf_of, sign_in
from tests.web.test_billing_portal import portal_sign_in


def _count(session: Session, model: type[Any], *where: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_quick_plan_and_plan_and_addon_forms(client: TestClient, admin: StaffUser,
                                             session: Session, tenant: Tenant) -> None:
    sign_in(client, admin.user.email, admin.password)
    token = csrf_of(client.get("/admin/plans").text)
    quick = client.post("/admin/plans", data={"csrf_token": token, "name": "",
                                              "download_kbps": "fast", "price": "lots"})
    assert_beside(quick, {"download_kbps": "Download kbit/s", "price": "Price",
                          "name": "Name"})
    assert read_form(quick.text).values["download_kbps"] == "fast"
    full = client.post("/admin/plans/new", data={"csrf_token": token, "name": "",
                                                 "price": "39,90", "data_cap_mb": "big"})
    assert_beside(full, {"name": "Name", "price": "Price", "data_cap_mb": "Data cap (MB)"})
    addon = client.post("/admin/addons", data={"csrf_token": token, "name": "Static IP",
                                               "price": "free"})
    assert_beside(addon, {"price": "Price"})
    assert read_form(addon.text).values["name"] == "Static IP"
    assert _count(session, Plan, Plan.tenant_id == tenant.id) == 0
    assert _count(session, PlanAddon, PlanAddon.tenant_id == tenant.id) == 0


def test_payment_refund_and_credit_note_forms(client: TestClient, admin: StaffUser,
                                              session: Session, tenant: Tenant) -> None:
    with_vat(session, tenant)
    customer = make_customer(session, tenant)
    inv = invoice(session, tenant, customer.id, "100.00")
    sign_in(client, admin.user.email, admin.password)
    page = client.get("/admin/payments/new", params={"customer_id": str(customer.id)})
    key = read_form(page.text)
    token = csrf_of(page.text)
    bad = client.post("/admin/payments/new", data={
        "csrf_token": token, "idempotency_key": "k" * 20, "customer": "C999999",
        "method": "cash", "amount": "1e9", "received_on": "yesterday", "reference": "",
        "card_brand": "", "card_last4": "", "notes": ""})
    assert_beside(bad, {"customer": "Customer number", "amount": "Amount",
                        "received_on": "Received on"})
    card = client.post("/admin/payments/new", data={
        "csrf_token": token, "idempotency_key": "k" * 20, "customer": customer.number,
        "method": "card", "amount": "10.00", "received_on": "2026-04-05", "reference": "R1",
        "card_brand": "visa", "card_last4": "", "notes": ""})
    found = assert_beside(card, {"card_last4": "Last four digits"})
    assert "card_last4" not in found["card_last4"][0]
    assert _count(session, Payment, Payment.tenant_id == tenant.id) == 0
    assert key.values["customer"] == customer.number

    payment, _ = billing_service.receive_payment_once(session, tenant.id, PaymentInput(
        customer_id=customer.id, method=PaymentMethod.CASH, amount=Decimal("150.00"),
        currency="USD", received_on=datetime.now(UTC).date(), idempotency_key="once-1"))
    session.flush()
    refund = client.post(f"/admin/payments/{payment.id}/refund", data={
        "csrf_token": token, "amount": "5000", "reason": ""})
    assert_beside(refund, {"refund_amount": "Amount", "refund_reason": "Reason"})
    assert _count(session, Refund, Refund.tenant_id == tenant.id) == 0

    other = invoice(session, tenant, customer.id, "20.00")
    credit = client.post(f"/admin/invoices/{other.id}/credit", data={
        "csrf_token": token, "amount": "500", "reason": ""})
    assert_beside(credit, {"amount": "Amount", "reason": "Reason"})
    assert read_form(credit.text).values["amount"] == "500"
    assert _count(session, CreditNote, CreditNote.tenant_id == tenant.id) == 0
    assert inv.id != other.id


def test_nas_device_and_site_forms(client: TestClient, admin: StaffUser, session: Session,
                                   tenant: Tenant) -> None:
    sign_in(client, admin.user.email, admin.password)
    token = csrf_of(client.get("/admin/radius/nas").text)
    nas = client.post("/admin/radius/nas", data={"csrf_token": token, "name": "",
                                                 "address": "10.0.0.300", "vendor": "generic"})
    assert_beside(nas, {"name": "Name", "address": "Address or range"})
    assert read_form(nas.text).values["address"] == "10.0.0.300"
    site = client.post("/admin/sites", data={"csrf_token": token, "name": "",
                                             "latitude": "north", "longitude": "500"})
    assert_beside(site, {"name": "Name", "latitude": "Latitude", "longitude": "Longitude"})
    device = client.post("/admin/devices/new", data={
        "csrf_token": token, "name": "", "device_type": "router", "status": "active",
        "management_ip": "not-an-ip", "snmp_version": "v2c", "snmp_port": "99999",
        "poll_interval_seconds": "300", "snmp_auth_protocol": "none",
        "snmp_priv_protocol": "none"})
    assert_beside(device, {"name": "Name", "snmp_port": "SNMP port"})
    assert read_form(device.text).values["management_ip"] == "not-an-ip"
    assert _count(session, NasClient, NasClient.tenant_id == tenant.id) == 0
    assert _count(session, Site, Site.tenant_id == tenant.id) == 0
    assert _count(session, Device, Device.tenant_id == tenant.id) == 0


def test_ticket_forms_for_staff_and_customers(client: TestClient, admin: StaffUser,
                                              session: Session, settings: Settings,
                                              tenant: Tenant) -> None:
    customer = make_customer(session, tenant, email="me@home.example")
    ticket = open_ticket(session, tenant, datetime.now(UTC), customer=customer)
    session.flush()
    before = (_count(session, Ticket, Ticket.tenant_id == tenant.id),
              _count(session, TicketMessage, TicketMessage.tenant_id == tenant.id))
    sign_in(client, admin.user.email, admin.password)
    token = csrf_of(client.get("/admin/support/tickets/new").text)
    new = client.post("/admin/support/tickets/new", data={
        "csrf_token": token, "customer": "C999999", "subject": "", "description": "x",
        "priority": "whenever", "source": "phone"})
    assert_beside(new, {"customer": "Customer number", "subject": "Subject",
                        "priority": "Priority"})
    assert read_form(new.text).values["customer"] == "C999999"
    url = f"/admin/support/tickets/{ticket.id}"
    reply = client.post(f"{url}/reply", data={"csrf_token": token, "body": " ",
                                              "visibility": "reply"})
    assert_beside(reply, {"body": "Message"})
    status = client.post(f"{url}/status", data={"csrf_token": token, "status": "sideways",
                                                "reason": "asked"})
    assert_beside(status, {"new-status": "Status"})
    assert 'id="status-reason" name="reason" type="text" value="asked"' in status.text
    assign = client.post(f"{url}/assign", data={"csrf_token": token, "assignee_id": "nobody",
                                                "priority": "whenever"})
    assert_beside(assign, {"assignee_id": "Assignee", "priority": "Priority"})

    portal.create_account(session, settings, tenant.id, customer.id,
                          PortalAccountCreate(password="my-portal-pw"))
    session.flush()
    client.cookies.clear()
    portal_sign_in(client, tenant.slug, "me@home.example", "my-portal-pw")
    form = client.get(f"/portal/{tenant.slug}/tickets/new")
    asked = client.post(f"/portal/{tenant.slug}/tickets/new", data={
        "csrf_token": csrf_of(form.text), "category": "general", "subject": "",
        "description": ""})
    assert_beside(asked, {"subject": "Subject", "description": "Tell us what happens"})
    assert (_count(session, Ticket, Ticket.tenant_id == tenant.id),
            _count(session, TicketMessage, TicketMessage.tenant_id == tenant.id)) == before


def test_lifecycle_confirmation_form(client: TestClient, admin: StaffUser, session: Session,
                                     settings: Settings, tenant: Tenant) -> None:
    sub = make_subscription(session, settings, tenant, status=SubscriptionStatus.ACTIVE)
    sign_in(client, admin.user.email, admin.password)
    url = f"/admin/subscriptions/{sub.id}/confirm"
    token = csrf_of(client.get(url, params={"action": "change_plan"}).text)
    bad = client.post(f"{url}?action=change_plan", data={
        "csrf_token": token, "plan_id": "", "effective_date": "31/05/2026", "reason": "asked"})
    assert_beside(bad, {"plan_id": "New plan", "effective_date": "Effective date"})
    assert read_form(bad.text).values["reason"] == "asked"
    suspend = client.post(f"{url}?action=suspend", data={"csrf_token": token, "reason": ""})
    assert_beside(suspend, {"reason": "Reason"})
    session.refresh(sub)
    assert sub.status == "active"
    assert service.plan_changes(session, tenant.id, sub.id) == []


def test_bulk_confirmations(client: TestClient, admin: StaffUser, session: Session,
                            settings: Settings, tenant: Tenant) -> None:
    subs = [make_subscription(session, settings, tenant, status=SubscriptionStatus.ACTIVE)
            for _ in range(2)]
    ticket = open_ticket(session, tenant, datetime.now(UTC))
    session.flush()
    sign_in(client, admin.user.email, admin.password)
    ids = [str(s.id) for s in subs]
    token = csrf_of(client.get("/admin/subscriptions/bulk",
                               params={"action": "suspend", "ids": ids}).text)
    suspend = client.post("/admin/subscriptions/bulk", data={
        "csrf_token": token, "action": "suspend", "ids": ids, "reason": ""})
    assert_beside(suspend, {"reason": "Reason, kept in each history"})
    tag = client.post("/admin/customers/bulk", data={
        "csrf_token": token, "action": "tag", "ids": [str(subs[0].customer_id)], "tag": ""})
    assert_beside(tag, {"tag": "Tag to add"})
    assign = client.post("/admin/support/tickets/bulk", data={
        "csrf_token": token, "action": "assign", "ids": [str(ticket.id)],
        "assignee_id": "someone"})
    assert_beside(assign, {"assignee_id": "Assignee"})
    for sub in subs:
        session.refresh(sub)
        assert sub.status == "active"
    session.refresh(ticket)
    assert ticket.assignee_id is None


def test_support_settings_forms(client: TestClient, admin: StaffUser, session: Session,
                                tenant: Tenant) -> None:
    sign_in(client, admin.user.email, admin.password)
    token = csrf_of(client.get("/admin/support/settings").text)
    base = "/admin/support/settings"
    calendar = client.post(f"{base}/calendars/new", data={
        "csrf_token": token, "name": "", "timezone": "Mars/Olympus", "mon_on": "1",
        "mon_start": "9am", "mon_end": "17:00", "holidays": "25/12 Christmas"})
    assert_beside(calendar, {"name": "Name", "timezone": "Time zone",
                             "mon_start": "mon from", "holidays": "Holidays"})
    assert 'value="9am"' in calendar.text and "25/12 Christmas" in calendar.text
    policy = client.post(f"{base}/policies/new", data={
        "csrf_token": token, "name": "", "calendar_id": "", "at_risk_percent": "lots",
        "high_first": "soon"})
    assert_beside(policy, {"name": "Name", "at_risk_percent": "At risk when used (%)",
                           "high_first": "high first response"})
    team = client.post(f"{base}/teams", data={"csrf_token": token, "name": "",
                                              "email": "not-mail"})
    assert_beside(team, {"team-name": "Name", "team-email": "Email"})
    rule = client.post(f"{base}/rules", data={"csrf_token": token, "name": "",
                                              "trigger": "sometimes"})
    assert_beside(rule, {"rule-name": "Name", "trigger": "When"})
    for model in (BusinessCalendar, SlaPolicy, Team, EscalationRule):
        assert _count(session, model, model.tenant_id == tenant.id) == 0


def test_staff_role_and_api_key_forms(client: TestClient, admin: StaffUser, session: Session,
                                      tenant: Tenant) -> None:
    users_before = _count(session, User, User.tenant_id == tenant.id)
    sign_in(client, admin.user.email, admin.password)
    token = csrf_of(client.get("/admin/users").text)
    invite = client.post("/admin/users/invite", data={
        "csrf_token": token, "email": "not-mail", "full_name": "New Person", "role_id": ""})
    assert_beside(invite, {"email": "Email", "role_id": "Role"})
    assert read_form(invite.text).values["full_name"] == "New Person"
    role = client.post("/admin/roles", data={"csrf_token": token, "name": "",
                                             "description": "x" * 300})
    assert_beside(role, {"name": "Name"})
    key = client.post("/admin/api-keys", data={"csrf_token": token, "name": "billing sync",
                                               "expires": "someday"})
    assert_beside(key, {"expires": "Expires on"})
    assert read_form(key.text).values["name"] == "billing sync"
    assert _count(session, User, User.tenant_id == tenant.id) == users_before
    assert _count(session, Role, Role.tenant_id == tenant.id, Role.name == "") == 0
    assert _count(session, ApiKey, ApiKey.tenant_id == tenant.id) == 0
