"""Ticket emails through a real SMTP server, and replies by email through our receiver."""

from __future__ import annotations

import smtplib
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage, Message
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import MailSettings, Settings
from dotmac_isp.main import create_app
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.notifications.receiver import InboundServer
from dotmac_isp.modules.notifications.settings import NotificationSettings
from dotmac_isp.modules.support import mail_in
from dotmac_isp.modules.support.models import Ticket, TicketAttachment, TicketMessage
from dotmac_isp.modules.support.settings import SupportSettings
from tests.conftest import RollbackDatabase
from tests.modules.support.test_tickets_api import T, open_one
from tests.support.customers import make_customer
from tests.support.factories import StaffUser, make_user
from tests.support.smtp import Inbox, smtp_server

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@dataclass
class Mailroom:
    client: TestClient
    inbox: Inbox
    settings: Settings
    receiver_port: int


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def mailroom(settings: Settings, db: RollbackDatabase, tmp_path: Path,
             monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailroom]:
    files = SupportSettings(attachments_dir=str(tmp_path / "files"))
    monkeypatch.setattr(mail_in, "get_support_settings", lambda: files)
    with smtp_server() as (inbox, port):
        mailed = settings.model_copy(update={
            "public_url": "https://isp.example",
            "mail": MailSettings(smtp_host="127.0.0.1", smtp_port=port,
                                 sender="Tenant A Fibre <support@isp.example>")})
        app = create_app(mailed, db, configure_logs=False)  # type: ignore[arg-type]
        app.state.support_settings = files
        receiver = InboundServer(db, NotificationSettings(), app_settings=mailed,
                                 port=_free_port())
        with TestClient(app) as client, receiver:
            yield Mailroom(client, inbox, mailed, receiver.port)


def text_of(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def reply_to(notification: Message, sender: str, text: str, **headers: str) -> EmailMessage:
    """What a mail client sends when the customer presses Reply."""
    reply = EmailMessage()
    reply["From"] = sender
    reply["To"] = notification["Reply-To"]
    reply["Subject"] = f"Re: {notification['Subject']}"
    reply["In-Reply-To"] = notification["Message-ID"]
    reply["References"] = f"{notification['References']} {notification['Message-ID']}"
    reply["Message-ID"] = f"<reply-{abs(hash(text))}@mail.example>"
    for name, value in headers.items():
        reply.replace_header(name, value) if name in reply else reply.add_header(name, value)
    quoted = "\n".join(f"> {line}" for line in text_of(notification).splitlines())
    reply.set_content(f"{text}\n\nOn Mon, 23 Nov 2026 at 10:00, Tenant A Fibre "
                      f"<{notification['Reply-To']}> wrote:\n{quoted}\n")
    return reply


def deliver(room: Mailroom, message: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", room.receiver_port, timeout=10) as smtp:
        smtp.send_message(message)


def messages_of(session: Session, ticket_id: str) -> list[TicketMessage]:
    session.expire_all()
    return list(session.scalars(select(TicketMessage).where(
        TicketMessage.ticket_id == uuid.UUID(ticket_id)).order_by(TicketMessage.created_at)))


def test_the_customer_is_emailed_on_open_reply_and_resolve(
        mailroom: Mailroom, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    client, inbox = mailroom.client, mailroom.inbox
    ada = make_customer(session, tenant, email="ada@example.com")
    session.commit()
    ticket = open_one(client, admin, ada.id)
    [created] = inbox.wait_for(1)
    assert created["To"] == "ada@example.com"
    assert created["Subject"] == "[T000001] We received your request: No internet"
    assert created["Reply-To"].startswith("support+") and created["Reply-To"].endswith(
        "@localhost")
    body = text_of(created)
    assert "Reply above this line" in body and "Red light on the ONT" in body
    assert f"https://isp.example/portal/tenant-a/tickets/{ticket['id']}" in body
    client.post(f"{T}/{ticket['id']}/replies", headers=admin.headers,
                json={"body": "Please restart the router."})
    client.post(f"{T}/{ticket['id']}/notes", headers=admin.headers, json={"body": "internal"})
    client.post(f"{T}/{ticket['id']}/status", headers=admin.headers, json={"status": "resolved"})
    mails = inbox.wait_for(3)
    assert [m["Subject"] for m in mails[1:]] == ["[T000001] No internet",
                                                 "[T000001] Resolved: No internet"]
    assert "Please restart the router." in text_of(mails[1])
    assert all("internal" not in text_of(m) for m in mails)
    assert len({m["Message-ID"] for m in mails}) == 3
    assert len({m["References"] for m in mails}) == 1  # one thread in the customer's mailbox
    log = client.get("/api/v1/notifications/deliveries", headers=admin.headers,
                     params={"related_id": ticket["id"]}).json()
    assert [d["status"] for d in log["items"]] == ["sent"] * 3


def test_an_emailed_reply_lands_on_the_ticket_and_reopens_the_conversation(
        mailroom: Mailroom, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant) -> None:
    client, inbox = mailroom.client, mailroom.inbox
    agent = make_user(session, settings, tenant, "support", email="agent@tenant-a.example")
    ada = make_customer(session, tenant, email="ada@example.com")
    session.commit()
    ticket = open_one(client, admin, ada.id, assignee_id=str(agent.user.id))
    client.post(f"{T}/{ticket['id']}/replies", headers=admin.headers,
                json={"body": "Is the light red or off?", "status": "pending_customer"})
    question = inbox.wait_for(2)[1]
    deliver(mailroom, reply_to(question, "Ada Obi <ADA@example.com>",
                               "It is red.\nI restarted it twice.\n\n-- \nAda"))
    stored = messages_of(session, ticket["id"])[-1]
    assert stored.body == "It is red.\nI restarted it twice."
    assert (stored.author_type, stored.via, stored.kind) == ("customer", "email", "reply")
    shown = client.get(f"{T}/{ticket['id']}", headers=admin.headers).json()
    assert shown["status"] == "open"  # no longer waiting on the customer: the clock runs
    assert shown["resolution"]["state"] == "running"
    told = inbox.wait_for(3)[2]
    assert told["To"] == "agent@tenant-a.example"
    assert told["Subject"] == "[T000001] Ada Obi replied: No internet"
    # the mail server delivers the same message again: stored once
    deliver(mailroom, reply_to(question, "ada@example.com",
                               "It is red.\nI restarted it twice.\n\n-- \nAda"))
    assert len(messages_of(session, ticket["id"])) == 3


def test_matching_by_in_reply_to_alone_and_staff_answering_by_email(
        mailroom: Mailroom, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    ada = make_customer(session, tenant, email="ada@example.com")
    session.commit()
    ticket = open_one(mailroom.client, admin, ada.id)
    [created] = mailroom.inbox.wait_for(1)
    plain = reply_to(created, "ada@example.com", "Any news?", To="support@localhost")
    deliver(mailroom, plain)
    staff = reply_to(created, admin.user.email, "An engineer comes at 3pm.",
                     To=created["Reply-To"])
    deliver(mailroom, staff)
    [_opening, by_customer, by_staff] = messages_of(session, ticket["id"])
    assert by_customer.body == "Any news?" and by_customer.author_type == "customer"
    assert by_staff.author_type == "staff" and by_staff.via == "email"
    assert by_staff.author_label == "Admin Person"
    session.expire_all()
    assert session.get(Ticket, by_staff.ticket_id).first_responded_at is not None  # type: ignore[union-attr]


def test_strangers_automatic_replies_unknown_threads_and_closed_tickets_are_refused(
        mailroom: Mailroom, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    ada = make_customer(session, tenant, email="ada@example.com")
    session.commit()
    ticket = open_one(mailroom.client, admin, ada.id)
    [created] = mailroom.inbox.wait_for(1)
    refusals = [
        (reply_to(created, "mallory@evil.example", "Give me her data"), "may not reply"),
        (reply_to(created, "ada@example.com", "I am away", **{"Auto-Submitted": "auto-replied"}),
         "automatic replies"),
        (reply_to(created, "ada@example.com", "hello", To="support+0000000000000000@localhost",
                  **{"In-Reply-To": "<x@y>", "References": "<x@y>"}), "no ticket"),
        (reply_to(created, "ada@example.com", ""), "empty"),
    ]
    for message, says in refusals:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            deliver(mailroom, message)
        assert refused.value.smtp_code == 550 and says in refused.value.smtp_error.decode()
    assert len(messages_of(session, ticket["id"])) == 1
    mailroom.client.post(f"{T}/{ticket['id']}/status", headers=admin.headers,
                         json={"status": "closed"})
    with pytest.raises(smtplib.SMTPDataError) as closed:
        deliver(mailroom, reply_to(created, "ada@example.com", "one more thing"))
    assert b"is closed" in closed.value.smtp_error
    # garbage does not bring the receiver down
    with smtplib.SMTP("127.0.0.1", mailroom.receiver_port, timeout=10) as smtp, \
            pytest.raises(smtplib.SMTPDataError):
        smtp.sendmail("x@y", ["support@localhost"], b"\x00\xff not a mail \r\n\r\n\xfe")
    with pytest.raises(smtplib.SMTPDataError) as still_answering:
        deliver(mailroom, reply_to(created, "ada@example.com", "still there?"))
    assert b"is closed" in still_answering.value.smtp_error


def test_files_sent_with_a_reply_are_attached_to_it(
        mailroom: Mailroom, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    ada = make_customer(session, tenant, email="ada@example.com")
    session.commit()
    ticket = open_one(mailroom.client, admin, ada.id)
    [created] = mailroom.inbox.wait_for(1)
    reply = reply_to(created, "ada@example.com", "Photo of the router attached.")
    reply.add_attachment(PNG, maintype="image", subtype="png", filename="router.png")
    reply.add_attachment(b"MZ\x90", maintype="application", subtype="octet-stream",
                         filename="setup.exe")
    deliver(mailroom, reply)
    message = messages_of(session, ticket["id"])[-1]
    assert message.body == "Photo of the router attached."
    [kept] = session.scalars(select(TicketAttachment).where(
        TicketAttachment.ticket_id == uuid.UUID(ticket["id"])))
    assert kept.filename == "router.png" and kept.message_id == message.id
    timeline = mailroom.client.get(f"{T}/{ticket['id']}/timeline",
                                   headers=admin.headers).json()["items"]
    assert any("setup.exe" in i["text"] or ".exe files are not accepted" in i["text"]
               for i in timeline)
