"""Appointment emails through a real SMTP server on loopback: when a visit is booked, when
it moves, and the day-before reminder, which a second run of the job does not send again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.message import Message

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import MailSettings, Settings
from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.main import create_app
from dotmac_isp.modules.field.tasks import send_reminders
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.notifications import outbox
from dotmac_isp.modules.notifications.models import Delivery
from tests.conftest import RollbackDatabase
from tests.modules.field.factories import make_technician, make_work_order
from tests.support.customers import make_customer
from tests.support.factories import StaffUser
from tests.support.smtp import Inbox, smtp_server

W = "/api/v1/work-orders"


@pytest.fixture
def mailed(settings: Settings,
           db: RollbackDatabase) -> Iterator[tuple[TestClient, Inbox, Settings]]:
    with smtp_server() as (inbox, port):
        app_settings = settings.model_copy(update={"mail": MailSettings(
            smtp_host="127.0.0.1", smtp_port=port)})
        with TestClient(create_app(app_settings, db,  # type: ignore[arg-type]
                                   configure_logs=False)) as client:
            yield client, inbox, app_settings


def text_of(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def test_booking_and_moving_a_visit_email_the_customer(
        mailed: tuple[TestClient, Inbox, Settings], admin: StaffUser, session: Session,
        settings: Settings, tenant: Tenant) -> None:
    client, inbox, _ = mailed
    tenant.timezone = "Africa/Lagos"  # UTC+1
    customer = make_customer(session, tenant, first_name="Kemi", email="kemi@example.com")
    order = make_work_order(session, tenant, customer=customer, kind="installation")
    tech = make_technician(session, settings, tenant, "Tunde Field")
    start = datetime(2030, 3, 5, 8, 0, tzinfo=UTC)
    booked = client.post(f"{W}/{order.id}/schedule", headers=admin.headers, json={
        "technician_id": str(tech.user.id), "window_start": start.isoformat(),
        "window_end": (start + timedelta(hours=3)).isoformat()})
    assert booked.status_code == 200, booked.text
    [first] = inbox.wait_for(1)
    assert first["To"] == "kemi@example.com"
    assert first["Subject"] == "Your installation visit: Tuesday 5 March 2030, 09:00-12:00"
    body = text_of(first)
    assert "between 09:00 and 12:00" in body and "12 Marina Road, Lagos, NG" in body
    assert "Technician: Tunde" in body and order.number in body
    later = start + timedelta(days=1)
    client.post(f"{W}/{order.id}/schedule", headers=admin.headers, json={
        "technician_id": str(tech.user.id), "window_start": later.isoformat(),
        "window_end": (later + timedelta(hours=2)).isoformat()})
    moved = inbox.wait_for(2)[1]
    assert moved["Subject"] == ("New time for installation visit: Wednesday 6 March 2030, "
                                "09:00-11:00")
    assert "Your installation visit has moved" in text_of(moved)
    # the same time again (a new note, say) sends nothing
    client.post(f"{W}/{order.id}/schedule", headers=admin.headers, json={
        "technician_id": str(tech.user.id), "window_start": later.isoformat(),
        "window_end": (later + timedelta(hours=2)).isoformat()})
    queued = session.scalars(select(Delivery.subject).where(
        Delivery.related_id == order.id)).all()
    assert len(queued) == 2


def test_the_reminder_goes_the_day_before_once(
        mailed: tuple[TestClient, Inbox, Settings], admin: StaffUser, session: Session,
        settings: Settings, tenant: Tenant, db: RollbackDatabase) -> None:
    client, inbox, app_settings = mailed
    tech = make_technician(session, settings, tenant)
    visit = datetime(2030, 4, 10, 13, 0, tzinfo=UTC)
    orders = []
    for n, email in enumerate(("one@example.com", "two@example.com")):
        order = make_work_order(session, tenant, customer=make_customer(
            session, tenant, email=email), kind="repair")
        start = visit + timedelta(days=n)  # the second is the day after
        client.post(f"{W}/{order.id}/schedule", headers=admin.headers, json={
            "technician_id": str(tech.user.id), "window_start": start.isoformat(),
            "window_end": (start + timedelta(hours=1)).isoformat()})
        orders.append(order)
    inbox.wait_for(2)
    inbox.clear()

    def run(day: date) -> str:
        return send_reminders(JobContext(db, app_settings,  # type: ignore[arg-type]
                                         params={"date": day}))

    def deliver() -> list[Message]:
        summary = outbox.send_due(db.unit_of_work, app_settings.mail,
                                  datetime.now(UTC) + timedelta(seconds=1), limit=50,
                                  lease=timedelta(minutes=1))
        return inbox.wait_for(summary.sent) if summary.sent else []

    assert run(date(2030, 4, 8)) == "0 reminders queued"  # two days before: not yet
    assert run(date(2030, 4, 9)) == "1 reminders queued"
    [reminder] = deliver()
    assert reminder["To"] == "one@example.com"
    assert reminder["Subject"] == "Reminder: repair visit tomorrow, 13:00-14:00"
    assert "Wednesday 10 April 2030" in text_of(reminder)
    assert run(date(2030, 4, 9)) == "0 reminders queued"  # the second run sends nothing
    assert deliver() == [] and len(inbox.messages) == 1
    # moved to another day: a reminder for the new day
    moved = visit + timedelta(days=5)
    client.post(f"{W}/{orders[0].id}/schedule", headers=admin.headers, json={
        "technician_id": str(tech.user.id), "window_start": moved.isoformat(),
        "window_end": (moved + timedelta(hours=1)).isoformat()})
    assert run(date(2030, 4, 14)) == "1 reminders queued"
