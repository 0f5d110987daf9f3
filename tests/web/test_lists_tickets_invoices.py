"""Ticket queue and invoice list: sorting, CSV, bulk assignment, and finding both by number."""

from __future__ import annotations

import csv
import io
import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.support.models import Ticket
from dotmac_isp.shared.types import utcnow
from tests.modules.support.factories import open_ticket
from tests.support.customers import make_customer
from tests.support.factories import StaffUser, make_user
from tests.web.billing_support import invoice
from tests.web.test_admin_pages import csrf_of, sign_in


def _tickets(html: str) -> list[str]:
    return re.findall(r'<tr data-ticket="([^"]+)"', html)


def test_ticket_queue_sorts_by_urgency_and_exports_what_it_shows(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    now = utcnow()
    low = open_ticket(session, tenant, now, priority="low", subject="Slow at night")
    urgent = open_ticket(session, tenant, now, priority="urgent", subject="Fibre cut")
    normal = open_ticket(session, tenant, now, priority="normal", subject="Bill question")
    sign_in(client, admin.user.email, admin.password)
    ranked = _tickets(client.get("/admin/support/tickets", params={"sort": "-priority"}).text)
    assert ranked == [urgent.number, normal.number, low.number]
    rows = list(csv.reader(io.StringIO(client.get(
        "/admin/support/tickets/export.csv", params={"priority": "urgent"}).text)))
    assert [r[0] for r in rows[1:]] == [urgent.number] and rows[1][1] == "Fibre cut"
    # "any status" is a cleared default: the links keep it rather than fall back to active
    page = client.get("/admin/support/tickets", params={"status": "", "sort": "number"}).text
    assert "?status=&amp;sort=" in page


def test_bulk_assign_applies_to_this_tenants_tickets_only(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant, other_tenant: Tenant) -> None:
    now = utcnow()
    agent = make_user(session, settings, tenant, "support")
    mine = [open_ticket(session, tenant, now) for _ in range(3)]
    theirs = open_ticket(session, other_tenant, now)
    ids = [str(t.id) for t in [*mine, theirs]]
    sign_in(client, admin.user.email, admin.password)
    confirm = client.get("/admin/support/tickets/bulk", params={"action": "assign", "ids": ids})
    assert "<strong>3</strong> tickets" in confirm.text and str(theirs.id) not in confirm.text
    form = {"csrf_token": csrf_of(confirm.text), "action": "assign", "ids": ids}
    bad = client.post("/admin/support/tickets/bulk", data={**form, "assignee_id": "nobody?"})
    assert bad.status_code == 422 and "choose a staff user" in bad.text
    done = client.post("/admin/support/tickets/bulk",
                       data={**form, "assignee_id": str(agent.user.id)}, follow_redirects=True)
    assert "Assigned 3 tickets." in done.text
    session.expire_all()
    assert {session.get(Ticket, t.id).assignee_id for t in mine} == {agent.user.id}  # type: ignore[union-attr]
    assert session.get(Ticket, theirs.id).assignee_id is None  # type: ignore[union-attr]


def test_invoice_list_sorts_by_total_and_search_finds_invoices_and_tickets_by_number(
        client: TestClient, admin: StaffUser, other_admin: StaffUser, session: Session,
        tenant: Tenant) -> None:
    customer = make_customer(session, tenant)
    small = invoice(session, tenant, customer.id, "5.00")
    big = invoice(session, tenant, customer.id, "500.00")
    ticket = open_ticket(session, tenant, utcnow(), customer=customer)
    sign_in(client, admin.user.email, admin.password)
    order = re.findall(r'<tr data-invoice="([^"]+)"',
                       client.get("/admin/invoices", params={"sort": "-total"}).text)
    assert order == [big.number, small.number]
    rows = list(csv.reader(io.StringIO(client.get(
        "/admin/invoices/export.csv", params={"sort": "total"}).text)))
    assert [(r[0], r[7]) for r in rows[1:]] == [(small.number, "5.00"), (big.number, "500.00")]
    found = client.get("/admin/search", params={"q": big.number}).text
    assert f"/admin/invoices/{big.id}" in found
    assert f"/admin/support/tickets/{ticket.id}" in client.get(
        "/admin/search", params={"q": ticket.number}).text
    client.post("/admin/logout", data={"csrf_token": csrf_of(found)})
    sign_in(client, other_admin.user.email, other_admin.password)
    assert f"/admin/invoices/{big.id}" not in client.get(
        "/admin/search", params={"q": big.number}).text
