"""The outbox against a real SMTP server on loopback: sent after commit, retried with
backoff, refused for good, never sent twice."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import MailSettings, Settings
from dotmac_isp.jobs import registry
from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.main import create_app
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.notifications import service, tasks
from dotmac_isp.modules.notifications.models import Delivery
from dotmac_isp.modules.notifications.outbox import backoff
from tests.conftest import RollbackDatabase
from tests.support.factories import StaffUser
from tests.support.smtp import smtp_server

CONTEXT = {"tenant": {"name": "Lagos Fibre"}, "customer": {"name": "Ada Obi"},
           "payment": {"amount": "29.99", "currency": "NGN", "reference": "PAY-1",
                       "received_date": "2026-11-10"}}


def mail_for(port: int) -> MailSettings:
    return MailSettings(smtp_host="127.0.0.1", smtp_port=port,
                        sender="Lagos Fibre <noc@isp.example>")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Refuser:
    async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]
        return f"550 5.1.1 <{address}>: mailbox unavailable"


@contextmanager
def refusing_server() -> Iterator[int]:
    port = free_port()
    controller = Controller(Refuser(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def queue(db: RollbackDatabase, tenant: Tenant, mail: MailSettings | None = None,
          now: datetime | None = None) -> Delivery:
    with db.unit_of_work() as s:
        delivery = service.send(s, tenant.id, "billing.payment_received", "ada@example.com",
                                CONTEXT, mail=mail, now=now)
    return delivery


def reload(session: Session, delivery: Delivery) -> Delivery:
    session.expire_all()
    return session.scalars(select(Delivery).where(Delivery.id == delivery.id)).one()


def run_job(db: RollbackDatabase, settings: Settings, mail: MailSettings, now: datetime) -> str:
    ctx = JobContext(db, settings.model_copy(update={"mail": mail}), now)  # type: ignore[arg-type]
    assert registry.get("notifications.send_pending").function is tasks.send_pending
    return registry.run("notifications.send_pending", ctx)


def test_sent_right_after_the_commit(db: RollbackDatabase, session: Session,
                                     tenant: Tenant) -> None:
    session.commit()
    with smtp_server() as (inbox, port):
        delivery = queue(db, tenant, mail_for(port))
        [message] = inbox.wait_for(1)
    assert message["To"] == "ada@example.com"
    assert message["From"] == "Lagos Fibre <noc@isp.example>"
    assert message["Subject"] == "Payment received, thank you (29.99 NGN)"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"] == delivery.message_id
    assert "We received your payment of 29.99 NGN" in message.get_payload()  # type: ignore[operator]
    sent = reload(session, delivery)
    assert (sent.status, sent.attempts) == ("sent", 1)
    assert sent.smtp_response.startswith("250 ") and sent.sent_at is not None


def test_nothing_is_sent_when_the_transaction_rolls_back(db: RollbackDatabase, session: Session,
                                                         tenant: Tenant) -> None:
    session.commit()
    with smtp_server() as (inbox, port):
        with pytest.raises(RuntimeError), db.unit_of_work() as s:
            service.send(s, tenant.id, "billing.payment_received", "ada@example.com", CONTEXT,
                         mail=mail_for(port))
            raise RuntimeError("the payment failed to post")
        assert inbox.messages == []  # the after-commit hook never ran
    assert session.scalar(select(Delivery.id)) is None


def test_the_job_sends_what_is_queued_and_a_second_run_sends_nothing(
        db: RollbackDatabase, session: Session, settings: Settings, tenant: Tenant) -> None:
    session.commit()
    now = datetime.now(UTC)
    delivery = queue(db, tenant, mail=None, now=now)  # no mail settings: the job sends it
    with smtp_server() as (inbox, port):
        assert run_job(db, settings, mail_for(port), now) == \
            "1 sent, 0 to retry, 0 failed, 0 skipped"
        assert run_job(db, settings, mail_for(port), now + timedelta(minutes=5)) == \
            "0 sent, 0 to retry, 0 failed, 0 skipped"
        assert len(inbox.wait_for(1)) == 1
    assert reload(session, delivery).status == "sent"


def test_a_server_that_is_down_is_retried_with_backoff(
        db: RollbackDatabase, session: Session, settings: Settings, tenant: Tenant) -> None:
    session.commit()
    start = datetime.now(UTC)
    delivery = queue(db, tenant, now=start)
    down = mail_for(free_port())  # nothing listens there
    assert "1 to retry" in run_job(db, settings, down, start)
    first = reload(session, delivery)
    assert first.status == "retrying" and first.attempts == 1
    assert first.next_attempt_at == start + timedelta(minutes=1)
    assert "SMTP connection failed" in first.error
    # not due yet: the job leaves it alone
    assert run_job(db, settings, down, start + timedelta(seconds=30)).startswith("0 sent, 0 to")
    assert "1 to retry" in run_job(db, settings, down, start + timedelta(minutes=1))
    second = reload(session, delivery)
    assert second.attempts == 2 and second.next_attempt_at == start + timedelta(minutes=6)
    with smtp_server() as (inbox, port):
        assert run_job(db, settings, mail_for(port), start + timedelta(minutes=6)) \
            .startswith("1 sent")
        assert len(inbox.wait_for(1)) == 1
    done = reload(session, delivery)
    assert (done.status, done.attempts, done.error) == ("sent", 3, "")


def test_a_refused_recipient_fails_at_once_and_keeps_the_answer(
        db: RollbackDatabase, session: Session, settings: Settings, tenant: Tenant) -> None:
    session.commit()
    now = datetime.now(UTC)
    delivery = queue(db, tenant, now=now)
    with refusing_server() as port:
        assert "1 failed" in run_job(db, settings, mail_for(port), now)
    failed = reload(session, delivery)
    assert failed.status == "failed" and failed.attempts == 1
    assert failed.smtp_response == "550 5.1.1 <ada@example.com>: mailbox unavailable"
    assert failed.error.startswith("refused by the server")


def test_giving_up_after_the_last_attempt(db: RollbackDatabase, session: Session,
                                          settings: Settings, tenant: Tenant) -> None:
    session.commit()
    now = datetime.now(UTC)
    delivery = queue(db, tenant, now=now)
    row = reload(session, delivery)
    row.max_attempts = 2
    session.commit()
    down = mail_for(free_port())
    run_job(db, settings, down, now)
    assert "1 failed" in run_job(db, settings, down, now + backoff(1))
    failed = reload(session, delivery)
    assert failed.status == "failed" and "gave up after 2 attempts" in failed.error


def test_a_claimed_delivery_is_not_sent_twice(db: RollbackDatabase, session: Session,
                                              settings: Settings, tenant: Tenant) -> None:
    session.commit()
    now = datetime.now(UTC)
    delivery = queue(db, tenant, now=now)
    row = reload(session, delivery)
    row.status, row.lease_until = "sending", now + timedelta(minutes=5)  # another sender has it
    session.commit()
    with smtp_server() as (inbox, port):
        assert run_job(db, settings, mail_for(port), now).startswith("0 sent")
        assert inbox.messages == []
        # the other sender died: once its lease lapses the job takes over
        assert run_job(db, settings, mail_for(port), now + timedelta(minutes=6)) \
            .startswith("1 sent")
        assert len(inbox.wait_for(1)) == 1


def test_the_delivery_log_and_retry_over_the_api(db: RollbackDatabase, session: Session,
                                                 settings: Settings, tenant: Tenant,
                                                 admin: StaffUser) -> None:
    session.commit()
    now = datetime.now(UTC)
    delivery = queue(db, tenant, now=now)
    with refusing_server() as port:
        run_job(db, settings, mail_for(port), now)
    with smtp_server() as (inbox, port):
        app = create_app(settings.model_copy(update={"mail": mail_for(port)}), db,  # type: ignore[arg-type]
                         configure_logs=False)
        with TestClient(app) as client:
            log = client.get("/api/v1/notifications/deliveries", headers=admin.headers,
                             params={"status": "failed"}).json()
            assert [d["id"] for d in log["items"]] == [str(delivery.id)]
            assert log["items"][0]["smtp_response"].startswith("550 5.1.1")
            retried = client.post(f"/api/v1/notifications/deliveries/{delivery.id}/retry",
                                  headers=admin.headers)
            assert retried.status_code == 200 and retried.json()["status"] == "queued"
            assert len(inbox.wait_for(1)) == 1
            shown = client.get(f"/api/v1/notifications/deliveries/{delivery.id}",
                               headers=admin.headers).json()
            assert shown["status"] == "sent" and shown["attempts"] == 2
            again = client.post(f"/api/v1/notifications/deliveries/{delivery.id}/retry",
                                headers=admin.headers)
            assert again.status_code == 409 and "sent already" in again.json()["detail"]
