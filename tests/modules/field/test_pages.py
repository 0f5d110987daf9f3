"""The field pages: list and filters, a new work order, its page (schedule with errors
beside the fields, a clash refused), the board's booking form, the technician's day, the
checklist settings, and the work orders on customer and ticket pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.field import checklists, scheduling, schemas, service
from dotmac_isp.modules.field.access import whole_tenant
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.support import schemas as support_schemas
from dotmac_isp.modules.support import service as support_service
from tests.modules.field.factories import make_technician, make_work_order, set_checklist
from tests.support.customers import make_customer
from tests.support.factories import StaffUser
from tests.web.test_admin_pages import csrf_of, sign_in

F = "/admin/field"


def _post(client: TestClient, url: str, page: str, data: dict[str, str], **headers: str):  # type: ignore[no-untyped-def]
    return client.post(url, data={"csrf_token": csrf_of(client.get(page).text), **data},
                       headers=headers, follow_redirects=False)


def test_new_work_order_and_its_page(client: TestClient, admin: StaffUser, session: Session,
                                     settings: Settings, tenant: Tenant) -> None:
    set_checklist(session, tenant, "installation", [("Mount the ONT", True)])
    customer = make_customer(session, tenant, first_name="Kemi", last_name="Bello")
    sign_in(client, admin.user.email, admin.password)
    bad = _post(client, f"{F}/work-orders/new", f"{F}/work-orders/new",
                {"kind": "installation", "customer": "C999999", "duration_minutes": "2"})
    assert bad.status_code == 422
    assert 'data-error-for="customer"' in bad.text and 'data-error-for="duration_minutes"' \
        in bad.text
    made = _post(client, f"{F}/work-orders/new", f"{F}/work-orders/new", {
        "kind": "installation", "customer": customer.number, "description": "Fibre drop"})
    assert made.status_code == 303
    page = client.get(made.headers["location"]).text
    assert "Kemi Bello" in page and "12 Marina Road" in page and "Mount the ONT" in page
    listing = client.get(f"{F}/work-orders", params={"status": "new"}).text
    assert 'data-work-order="WO000001"' in listing
    assert 'data-work-order="WO000001"' not in client.get(
        f"{F}/work-orders", params={"kind": "repair"}).text


def test_scheduling_on_the_page_names_the_field_and_the_clash(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant) -> None:
    tech = make_technician(session, settings, tenant, "Tunde Field")
    first, second = make_work_order(session, tenant), make_work_order(session, tenant)
    sign_in(client, admin.user.email, admin.password)
    url = f"{F}/work-orders/{first.id}"
    missing = _post(client, f"{url}/schedule", url, {"technician_id": str(tech.user.id),
                                                       "day": "2030-05-02", "start": "nine"})
    assert missing.status_code == 422
    assert re.search(r'data-error-for="start"[^>]*>From: give a time', missing.text)
    assert 'data-error-for="end"' in missing.text
    booked = _post(client, f"{url}/schedule", url, {
        "technician_id": str(tech.user.id), "day": "2030-05-02", "start": "09:00",
        "end": "11:00"})
    assert booked.status_code == 303
    shown = client.get(url).text
    assert "Tunde Field" in shown and "2030-05-02 09:00" in shown
    other = f"{F}/work-orders/{second.id}"
    clash = _post(client, f"{other}/schedule", other, {
        "technician_id": str(tech.user.id), "day": "2030-05-02", "start": "10:00",
        "end": "12:00"})
    assert clash.status_code == 409
    assert f"Tunde Field is already booked for {first.number}" in clash.text
    assert service.get_work_order(session, tenant.id, second.id).status == "new"


def test_the_board_books_a_slot_and_shows_a_clash(client: TestClient, admin: StaffUser,
                                                  session: Session, settings: Settings,
                                                  tenant: Tenant) -> None:
    tech = make_technician(session, settings, tenant, "Tunde Field")
    first, second = make_work_order(session, tenant), make_work_order(session, tenant)
    sign_in(client, admin.user.email, admin.password)
    board = client.get(f"{F}/board", params={"day": "2030-05-03"}).text
    assert 'data-technician="Tunde Field"' in board and first.number in board
    form = client.get(f"{F}/board/slot", params={"day": "2030-05-03",
                                                 "technician_id": str(tech.user.id),
                                                 "hour": "10"}).text
    assert 'value="10:00"' in form and 'value="12:00"' in form and second.number in form
    data = {"day": "2030-05-03", "technician_id": str(tech.user.id), "start": "10:00",
            "end": "12:00"}
    done = _post(client, f"{F}/board/assign", f"{F}/board",
                 {**data, "work_order_id": str(first.id)}, **{"HX-Request": "true"})
    assert done.status_code == 200 and f"{first.number} booked." in done.text
    row = re.search(r'<tr data-technician="Tunde Field">.*?</tr>', done.text, re.S)
    assert row and first.number in row.group(0)
    clash = _post(client, f"{F}/board/assign", f"{F}/board",
                  {**data, "start": "11:00", "end": "13:00", "work_order_id": str(second.id)},
                  **{"HX-Request": "true"})
    assert 'data-testid="board-refusal"' in clash.text
    assert f"is already booked for {first.number}" in clash.text


def test_the_technicians_day_and_their_own_only(client: TestClient, admin: StaffUser,
                                                session: Session, settings: Settings,
                                                tenant: Tenant) -> None:
    tech = make_technician(session, settings, tenant, "Tunde Field")
    other = make_technician(session, settings, tenant, "Bisi Field")
    customer = make_customer(session, tenant, phone="+234 803 555 0199", addresses=[
        {"kind": "service", "line1": "4 Broad Street", "city": "Lagos", "country": "NG",
         "latitude": "6.455000", "longitude": "3.390000"}])
    mine = make_work_order(session, tenant, customer=customer)
    theirs = make_work_order(session, tenant)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    for order, who in ((mine, tech), (theirs, other)):
        scheduling.schedule(session, whole_tenant(tenant.id), order.id, schemas.ScheduleIn(
            technician_id=who.user.id, window_start=now, window_end=now + timedelta(hours=1)))
    sign_in(client, tech.user.email, tech.password)
    day = client.get(f"{F}/my-day").text
    assert mine.number in day and theirs.number not in day
    assert "https://www.openstreetmap.org/?mlat=6.455000&amp;mlon=3.390000" in day
    assert 'href="tel:+234 803 555 0199"' in day
    job = client.get(f"{F}/my-day/{mine.id}").text
    assert "geo:6.455000,3.390000" in job and 'data-status="en_route"' in job
    for url in (f"{F}/my-day/{theirs.id}", f"{F}/work-orders/{theirs.id}"):
        assert client.get(url).status_code == 404
    assert theirs.number not in client.get(f"{F}/work-orders").text
    assert client.get(f"{F}/board").status_code == 403


def test_checklist_settings_and_the_linked_pages(client: TestClient, admin: StaffUser,
                                                 session: Session, tenant: Tenant) -> None:
    sign_in(client, admin.user.email, admin.password)
    saved = _post(client, f"{F}/settings/repair", f"{F}/settings",
                  {"items": "Measure the light\nTidy cables (optional)\n"})
    assert saved.status_code == 303
    page = client.get(f"{F}/settings").text
    assert "Measure the light\nTidy cables (optional)" in page
    too_long = _post(client, f"{F}/settings/repair", f"{F}/settings", {"items": "x" * 201})
    assert too_long.status_code == 422 and "Repair checklist" in too_long.text
    customer = make_customer(session, tenant)
    ticket = support_service.create_ticket(session, tenant.id, support_schemas.TicketCreate(
        customer_id=customer.id, subject="No light", description="red LOS"))
    order = make_work_order(session, tenant, customer=customer, ticket_id=ticket.id)
    for url in (f"/admin/customers/{customer.id}", f"/admin/support/tickets/{ticket.id}"):
        shown = client.get(url).text
        assert f'data-work-order="{order.number}"' in shown, url
    assert client.get(f"/admin/support/tickets/{ticket.id}").text.count(
        f"/admin/field/work-orders/new?customer={customer.number}&amp;ticket={ticket.id}") == 1


def test_another_tenants_work_order_pages_and_forms_are_not_found(
        client: TestClient, admin: StaffUser, other_admin: StaffUser, session: Session,
        settings: Settings, tenant: Tenant) -> None:
    set_checklist(session, tenant, "repair", [("Check the light", True)])
    order = make_work_order(session, tenant)
    tech = make_technician(session, settings, tenant)
    item = service.get_work_order(session, tenant.id, order.id)
    [line] = checklists.items_of(session, whole_tenant(tenant.id), item.id)
    sign_in(client, other_admin.user.email, other_admin.password)
    base = f"{F}/work-orders/{order.id}"
    for url in (base, f"{F}/my-day/{order.id}", f"{base}/files/{line.id}"):
        assert client.get(url).status_code == 404, url
    token = csrf_of(client.get(f"{F}/work-orders").text)
    posts = {
        f"{base}/status": {"status": "cancelled"},
        f"{base}/edit": {"description": "B was here", "address": "B street",
                         "duration_minutes": "30"},
        f"{base}/schedule": {"technician_id": str(tech.user.id), "day": "2030-05-02",
                             "start": "09:00", "end": "10:00"},
        f"{base}/checklist/{line.id}": {"done": "1"},
        f"{base}/notes": {"body": "B was here"},
        f"{base}/photos": {},
        f"{base}/signature": {"signature": "data:image/png;base64,AAAA"},
        f"{F}/board/assign": {"work_order_id": str(order.id), "technician_id":
                              str(tech.user.id), "day": "2030-05-02", "start": "09:00",
                              "end": "10:00"},
    }
    for url, data in posts.items():
        response = client.post(url, data={"csrf_token": token, **data},
                               follow_redirects=False)
        if url.endswith("/assign"):  # the board comes back with the refusal
            assert response.status_code == 422 and "work order not found" in response.text
        else:
            assert response.status_code == 404, (url, response.status_code)
    session.expire_all()
    same = service.get_work_order(session, tenant.id, order.id)
    assert (same.status, same.description, same.technician_id) == ("new", order.description,
                                                                    None)
    assert not checklists.items_of(session, whole_tenant(tenant.id), order.id)[0].done
