"""Outage notices follow the customer's choice: one who turned outage notices off gets no
email when staff open a ticket of the outage for them or when the outage's tickets are
resolved with one reply; the reply is still on their ticket. Everyone else is emailed."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.notifications.models import Delivery
from tests.modules.support.factories import make_incident
from tests.modules.support.test_ticket_mail import Mailroom, mailroom, messages_of
from tests.modules.support.test_tickets_api import T, open_one
from tests.support.customers import make_customer
from tests.support.factories import StaffUser

__all__ = ["mailroom"]  # the fixture, shared with the ticket mail tests
REPAIRED = "The fibre cut at Ikeja was repaired at 14:05."


def _queued_to(session: Session, tenant: Tenant) -> list[str]:
    session.expire_all()
    return sorted(d.to_address for d in session.scalars(select(Delivery).where(
        Delivery.tenant_id == tenant.id)))


def test_a_customer_who_turned_outage_notices_off_gets_none(
        mailroom: Mailroom, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant) -> None:
    client, inbox = mailroom.client, mailroom.inbox
    quiet = make_customer(session, tenant, email="quiet@home.example")
    quiet.notify_outages = False
    told = make_customer(session, tenant, email="told@home.example")
    outage = make_incident(session, settings, tenant)
    session.commit()

    # the opted-out customer's ticket first: their email, were it sent, would arrive first
    quiet_ticket = open_one(client, admin, quiet.id, incident_id=str(outage))
    told_ticket = open_one(client, admin, told.id, incident_id=str(outage))
    assert [m["To"] for m in inbox.wait_for(1)] == ["told@home.example"]

    done = client.post("/api/v1/support/incident-tickets/resolve", headers=admin.headers,
                       json={"incident_id": str(outage), "reply": REPAIRED})
    assert done.status_code == 200, done.text
    assert len(done.json()["resolved"]) == 2
    mails = inbox.wait_for(2)
    assert [m["To"] for m in mails] == ["told@home.example"] * 2
    assert _queued_to(session, tenant) == ["told@home.example"] * 2
    # the notice is on the quiet customer's ticket, only not emailed
    assert messages_of(session, quiet_ticket["id"])[-1].body == REPAIRED
    assert messages_of(session, told_ticket["id"])[-1].body == REPAIRED
    assert client.get(f"{T}/{quiet_ticket['id']}", headers=admin.headers).json()[
        "status"] == "resolved"


def test_a_ticket_without_an_outage_is_emailed_whatever_the_outage_choice(
        mailroom: Mailroom, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    quiet = make_customer(session, tenant, email="quiet@home.example")
    quiet.notify_outages = False
    session.commit()
    open_one(mailroom.client, admin, quiet.id)
    assert [m["To"] for m in mailroom.inbox.wait_for(1)] == ["quiet@home.example"]
