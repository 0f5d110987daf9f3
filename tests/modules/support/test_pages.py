"""Support pages over HTTP: the staff queue, a ticket's detail, settings, and the portal."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.customers import portal
from dotmac_isp.modules.customers.schemas import PortalAccountCreate
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.support import conversation, policies, schemas
from dotmac_isp.modules.support.enums import TicketStatus
from dotmac_isp.modules.support.escalation import check_sla
from dotmac_isp.modules.support.settings import SupportSettings
from dotmac_isp.shared.pagination import PageParams
from tests.modules.support.factories import open_ticket
from tests.support.customers import make_customer
from tests.support.factories import StaffUser, make_user
from tests.web.test_admin_pages import csrf_of, sign_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@pytest.fixture
def files(app: FastAPI, tmp_path: Path) -> Iterator[SupportSettings]:
    conf = SupportSettings(attachments_dir=str(tmp_path / "files"))
    app.state.support_settings = conf
    yield conf


def test_queue_shows_sla_badges_and_filters(client: TestClient, admin: StaffUser,
                                            session: Session, tenant: Tenant) -> None:
    long_ago = datetime(2026, 1, 5, 9, tzinfo=UTC)
    late = open_ticket(session, tenant, long_ago, subject="Dead line", priority="critical")
    fresh = open_ticket(session, tenant, datetime.now(UTC), subject="Slow evenings",
                        assignee_id=admin.user.id)
    check_sla(session, datetime.now(UTC), None)
    sign_in(client, admin.user.email, admin.password)
    page = client.get("/admin/support/tickets")
    assert page.status_code == 200
    assert late.number in page.text and fresh.number in page.text
    assert re.search(rf'data-ticket="{late.number}".*?data-sla="breached"', page.text, re.S)
    assert 'data-sla="running"' in page.text
    breached = client.get("/admin/support/tickets", params={"sla": "breached"})
    assert late.number in breached.text and fresh.number not in breached.text
    mine = client.get("/admin/support/tickets", params={"assignee": "me"},
                      headers={"HX-Request": "true"})
    assert "<html" not in mine.text and fresh.number in mine.text
    assert late.number not in mine.text
    nav = client.get("/admin").text
    assert 'href="/admin/support/tickets"' in nav


def test_detail_reply_note_file_status_and_assignment(client: TestClient, admin: StaffUser,
                                                      session: Session, settings: Settings,
                                                      tenant: Tenant,
                                                      files: SupportSettings) -> None:
    agent = make_user(session, settings, tenant, "support", email="agent@tenant-a.example")
    ticket = open_ticket(session, tenant, datetime.now(UTC), priority="high")
    sign_in(client, admin.user.email, admin.password)
    url = f"/admin/support/tickets/{ticket.id}"
    page = client.get(url)
    assert page.status_code == 200 and 'data-testid="sla-panel"' in page.text
    token = csrf_of(page.text)
    replied = client.post(f"{url}/reply", data={"csrf_token": token, "body": "Restart it please",
                                               "visibility": "reply",
                                               "status": "pending_customer"},
                          files={"file": ("steps.txt", b"1. unplug\n2. wait\n", "text/plain")},
                          follow_redirects=True)
    assert replied.status_code == 200 and "Reply sent." in replied.text
    assert "pending_customer" in replied.text and "steps.txt" in replied.text
    noted = client.post(f"{url}/reply", data={"csrf_token": token, "body": "VIP customer",
                                             "visibility": "note"}, follow_redirects=True)
    assert "Note added." in noted.text and "internal note" in noted.text
    assigned = client.post(f"{url}/assign", data={"csrf_token": token,
                                                  "assignee_id": str(agent.user.id),
                                                  "priority": "urgent"}, follow_redirects=True)
    assert "agent@tenant-a.example" in assigned.text and "high -&gt; urgent" in assigned.text
    moved = client.post(f"{url}/status", data={"csrf_token": token, "status": "open",
                                              "reason": "customer called back"},
                        follow_redirects=True)
    assert "customer called back" in moved.text and "SLA clock resumed" in moved.text
    wrong = client.post(f"{url}/status", data={"csrf_token": token, "status": "reopened"})
    assert wrong.status_code == 409 and "cannot become reopened" in wrong.text
    download = re.search(r'href="(/admin/support/attachments/[^"]+)"', moved.text)
    assert download and client.get(download.group(1)).content == b"1. unplug\n2. wait\n"
    forged = client.post(f"{url}/reply", data={"csrf_token": "nope", "body": "x"})
    assert forged.status_code == 403


def test_new_ticket_form(client: TestClient, admin: StaffUser, session: Session,
                         tenant: Tenant) -> None:
    customer = make_customer(session, tenant)
    sign_in(client, admin.user.email, admin.password)
    token = csrf_of(client.get("/admin/support/tickets/new").text)
    bad = client.post("/admin/support/tickets/new", data={
        "csrf_token": token, "customer": "C999999", "subject": "x", "description": "y"})
    assert bad.status_code == 422 and "number, e.g. C000042" in bad.text
    good = client.post("/admin/support/tickets/new", data={
        "csrf_token": token, "customer": customer.number, "subject": "Phone call: no signal",
        "description": "Called at 9am", "priority": "high", "source": "phone"},
        follow_redirects=True)
    assert good.status_code == 200 and "Ticket T000001 opened." in good.text


def test_settings_pages_create_a_calendar_and_a_policy(client: TestClient, admin: StaffUser,
                                                       session: Session, tenant: Tenant) -> None:
    sign_in(client, admin.user.email, admin.password)
    page = client.get("/admin/support/settings")
    assert page.status_code == 200 and "Business calendars" in page.text
    token = csrf_of(page.text)
    form = {"csrf_token": token, "name": "London office", "timezone": "Europe/London",
            "holidays": "2026-12-25 Christmas Day\n2026-12-28 Boxing Day (substitute)"}
    for day in ("mon", "tue", "wed", "thu", "fri"):
        form.update({f"{day}_on": "1", f"{day}_start": "08:30", f"{day}_end": "17:30"})
    saved = client.post("/admin/support/settings/calendars/new", data=form,
                        follow_redirects=True)
    assert "Calendar London office saved." in saved.text and "Europe/London" in saved.text
    [calendar] = policies.list_calendars(session, tenant.id, PageParams()).items
    assert calendar.hours["mon"] == [["08:30", "17:30"]] and len(calendar.holidays) == 2
    bad = client.post("/admin/support/settings/calendars/new",
                      data={**form, "name": "Mars", "timezone": "Mars/Olympus"})
    assert bad.status_code == 422 and "unknown time zone" in bad.text
    policy = client.post("/admin/support/settings/policies/new", data={
        "csrf_token": token, "name": "Business gold", "calendar_id": str(calendar.id),
        "position": "5", "at_risk_percent": "75", "is_active": "1", "kinds": "business",
        "critical_first": "10", "critical_resolution": "120"}, follow_redirects=True)
    assert "SLA policy Business gold saved." in policy.text
    [stored] = policies.list_policies(session, tenant.id, PageParams()).items
    assert stored.customer_kinds == ["business"] and stored.at_risk_percent == 75
    assert stored.targets["critical"] == {"first_response_minutes": 10,
                                          "resolution_minutes": 120}
    edit = client.get(f"/admin/support/settings/policies/{stored.id}")
    assert 'value="10"' in edit.text
    rule = client.post("/admin/support/settings/rules", data={
        "csrf_token": token, "name": "Tell the duty manager", "trigger": "breached",
        "notify_emails": "duty@tenant-a.example", "raise_priority": "1"},
        follow_redirects=True)
    assert "Tell the duty manager" in rule.text
    team = client.post("/admin/support/settings/teams", data={
        "csrf_token": token, "name": "NOC", "email": "noc@tenant-a.example"},
        follow_redirects=True)
    assert "noc@tenant-a.example" in team.text


def _portal_login(client: TestClient, slug: str, login: str, password: str) -> None:
    token = csrf_of(client.get(f"/portal/{slug}/login").text)
    done = client.post(f"/portal/{slug}/login", data={"csrf_token": token, "login": login,
                                                      "password": password},
                       follow_redirects=False)
    assert done.status_code == 303


def test_portal_customers_open_follow_and_answer_their_tickets(
        client: TestClient, session: Session, settings: Settings, tenant: Tenant,
        admin: StaffUser, files: SupportSettings) -> None:
    me = make_customer(session, tenant, email="me@home.example")
    someone = make_customer(session, tenant)
    portal.create_account(session, settings, tenant.id, me.id,
                          PortalAccountCreate(login="me@home.example", password="my-portal-pw"))
    theirs = open_ticket(session, tenant, datetime.now(UTC), customer=someone,
                         subject="Their secret")
    base = f"/portal/{tenant.slug}/tickets"
    assert client.get(base, follow_redirects=False).status_code == 303  # sign in first
    _portal_login(client, tenant.slug, "me@home.example", "my-portal-pw")
    assert "Support requests" in client.get(f"/portal/{tenant.slug}").text
    listing = client.get(base)
    assert listing.status_code == 200 and "No requests yet." in listing.text
    token = csrf_of(client.get(f"{base}/new").text)
    opened = client.post(f"{base}/new", data={
        "csrf_token": token, "category": "outage", "subject": "No internet since the storm",
        "description": "All lights off"},
        files={"file": ("router.png", PNG, "image/png")}, follow_redirects=True)
    assert opened.status_code == 200 and "Your request is ticket T000002" in opened.text
    assert "router.png" in opened.text
    ticket_url = re.search(rf'action="({base}/[^/"]+)/reply"', opened.text)
    assert ticket_url
    url = ticket_url.group(1)
    ticket_id = uuid.UUID(url.rsplit("/", 1)[1])
    conversation.add_note(session, tenant.id, ticket_id,
                          schemas.NoteIn(body="Customer is difficult"))
    conversation.add_reply(session, tenant.id, ticket_id, schemas.ReplyIn(
        body="Is the power on?", status=TicketStatus.PENDING_CUSTOMER))
    shown = client.get(url)
    assert "Is the power on?" in shown.text and "Customer is difficult" not in shown.text
    assert "pending_customer" in shown.text
    answered = client.post(f"{url}/reply", data={"csrf_token": token, "body": "Yes, it is"},
                           follow_redirects=True)
    assert "Your message was added." in answered.text and "Yes, it is" in answered.text
    assert 'data-status="open"' in answered.text
    image = re.search(rf'href="({url}/attachments/[^"]+)"', answered.text)
    assert image and client.get(image.group(1)).content == PNG
    assert client.get(f"{base}/{theirs.id}").status_code == 404
    empty = client.post(f"{url}/reply", data={"csrf_token": token, "body": "  "},
                        follow_redirects=True)
    assert "Write a message first." in empty.text
    bad = client.post(f"{base}/new", data={"csrf_token": token, "subject": "",
                                           "description": "x"})
    assert bad.status_code == 422
