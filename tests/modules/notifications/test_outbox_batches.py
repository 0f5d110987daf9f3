"""The outbox job claims deliveries in batches and sends them over a few reused SMTP
connections: two senders never send one message twice, a refused recipient fails only its
own message, and a connection the server dropped is replaced."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from dotmac_isp.config import MailSettings, Settings
from dotmac_isp.modules.notifications import outbox, service
from dotmac_isp.modules.notifications.models import Delivery
from dotmac_isp.modules.notifications.smtp import DeliveryFailed, SmtpPool
from dotmac_isp.sdks.services import metrics
from dotmac_isp.shared.db import Database
from tests.support.factories import make_tenant
from tests.support.parallel import at_once
from tests.support.querycount import count_statements
from tests.support.smtp import smtp_server

CONTEXT = {"tenant": {"name": "Lagos Fibre"}, "customer": {"name": "Ada Obi"},
           "payment": {"amount": "29.99", "currency": "NGN", "reference": "PAY-1",
                       "received_date": "2026-11-10"}}
LEASE = timedelta(minutes=5)


def mail_for(port: int, connections: int = 4) -> MailSettings:
    return MailSettings(smtp_host="127.0.0.1", smtp_port=port, smtp_connections=connections,
                        sender="Lagos Fibre <noc@isp.example>")


def queue(database: Database, addresses: list[str], now: datetime) -> None:
    with database.unit_of_work() as session:
        tenant = make_tenant(session)
        queued = service.queue_many(session, tenant.id, "billing.payment_received",
                                    [service.Outgoing(a, CONTEXT) for a in addresses], now=now)
    assert queued == len(addresses)


def addresses(count: int) -> list[str]:
    return [f"customer-{n:04d}@example.com" for n in range(count)]


def deliveries(database: Database) -> dict[str, Delivery]:
    with database.unit_of_work(write=False) as session:
        return {d.to_address: d for d in session.scalars(select(Delivery))}


def send_due(database: Database, mail: MailSettings, now: datetime,
             limit: int = 1000) -> outbox.SendSummary:
    return outbox.send_due(database.unit_of_work, mail, now, limit=limit, lease=LEASE)


def test_two_senders_send_each_of_200_messages_exactly_once(mail_db: Database,
                                                            mail_url: str) -> None:
    now = datetime.now(UTC)
    queue(mail_db, addresses(200), now)
    with smtp_server() as (inbox, port):

        def sender(_n: int) -> outbox.SendSummary:
            database = Database.from_url(mail_url)  # its own engine and connections
            try:
                return send_due(database, mail_for(port), now)
            finally:
                database.dispose()

        summaries = at_once(2, sender)
        received = Counter(str(m["To"]) for m in inbox.wait_for(200))
    assert received == Counter(addresses(200))  # each message reached the server once
    assert {(d.status, d.attempts) for d in deliveries(mail_db).values()} == {("sent", 1)}
    assert sum(s.sent for s in summaries) == 200 and len(summaries) == 2


def test_two_processes_send_each_of_200_messages_exactly_once(
        mail_db: Database, mail_url: str, settings: Settings) -> None:
    if not mail_url.startswith("postgresql"):
        pytest.skip("two processes share one database on PostgreSQL; SQLite's run is one "
                    "process (the threaded test covers its claims)")
    queue(mail_db, addresses(200), datetime.now(UTC) - timedelta(seconds=1))
    with smtp_server() as (inbox, port):
        env = {**os.environ, "DOTMAC_DATABASE_URL": mail_url,
               "DOTMAC_SECRET_KEY": settings.secret_key.get_secret_value(),
               "DOTMAC_ENVIRONMENT": "test", "DOTMAC_LOG_JSON": "false",
               "DOTMAC_LOG_LEVEL": "WARNING", "DOTMAC_MAIL__SMTP_HOST": "127.0.0.1",
               "DOTMAC_MAIL__SMTP_PORT": str(port)}
        command = [sys.executable, "-m", "dotmac_isp.cli", "jobs", "run",
                   "notifications.send_pending"]
        senders = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outputs = []
        for process in senders:
            try:
                out, err = process.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                process.kill()
                out, err = process.communicate()
            assert process.returncode == 0, err
            outputs.append(out)
        received = Counter(str(m["To"]) for m in inbox.wait_for(200))
    assert received == Counter(addresses(200)), outputs
    assert {(d.status, d.attempts) for d in deliveries(mail_db).values()} == {("sent", 1)}


def test_50_messages_go_over_a_few_reused_connections(mail_db: Database) -> None:
    now = datetime.now(UTC)
    queue(mail_db, addresses(50), now)
    with smtp_server() as (inbox, port):
        summary = send_due(mail_db, mail_for(port, connections=4), now)
        assert len(inbox.wait_for(50)) == 50
        connections = inbox.connections
    assert str(summary) == "50 sent, 0 to retry, 0 failed, 0 skipped"
    assert 1 <= connections <= 4
    assert b'dotmac_notifications_smtp_send_seconds_count{outcome="sent"}' in metrics.render()


def test_a_refused_recipient_fails_only_its_own_message(mail_db: Database) -> None:
    now = datetime.now(UTC)
    everyone = addresses(10)
    queue(mail_db, everyone, now)
    with smtp_server(refuse=frozenset({everyone[3]})) as (inbox, port):
        summary = send_due(mail_db, mail_for(port, connections=1), now)
        received = sorted(str(m["To"]) for m in inbox.wait_for(9))
        connections = inbox.connections
    assert str(summary) == "9 sent, 0 to retry, 1 failed, 0 skipped"
    assert received == [a for a in everyone if a != everyone[3]]
    assert connections == 1  # the refusal did not cost the connection
    rows = deliveries(mail_db)
    refused = rows.pop(everyone[3])
    assert (refused.status, refused.attempts) == ("failed", 1)
    assert refused.smtp_response == f"550 5.1.1 <{everyone[3]}>: mailbox unavailable"
    assert {d.status for d in rows.values()} == {"sent"}


def _message(to: str) -> EmailMessage:
    message = EmailMessage()
    message["To"], message["Subject"] = to, "hello"
    message.set_content("hello")
    return message


def test_a_connection_the_server_dropped_is_replaced() -> None:
    with smtp_server() as (first, port):
        pool = SmtpPool(mail_for(port), size=1)
        assert pool.send(_message("a@example.com"), "noc@isp.example", "a@example.com") \
            .startswith("250 ")
    # the server restarts: the idle connection the pool holds is dead
    with smtp_server(port=port) as (second, _port):
        assert pool.send(_message("b@example.com"), "noc@isp.example", "b@example.com") \
            .startswith("250 ")
        second.wait_for(1)
    pool.close()
    assert [str(m["To"]) for m in first.messages] == ["a@example.com"]
    assert [str(m["To"]) for m in second.messages] == ["b@example.com"]
    assert pool.opened == 2


def test_postgres_senders_skip_deliveries_another_sender_is_claiming(
        mail_db: Database) -> None:
    if mail_db.engine.dialect.name != "postgresql":
        pytest.skip("row locks (FOR UPDATE SKIP LOCKED) are PostgreSQL's; SQLite serialises "
                    "claims with its writer lock")
    now = datetime.now(UTC)
    queue(mail_db, addresses(10), now)
    with mail_db.unit_of_work() as first:
        mine = outbox.claim_batch(first, "noc@isp.example", now, LEASE, 6)  # rows locked
        with mail_db.unit_of_work() as second:
            theirs = outbox.claim_batch(second, "noc@isp.example", now, LEASE, 10)
    assert len(mine) == 6 and len(theirs) == 4
    ids: set[uuid.UUID] = {c.delivery_id for c in mine}
    assert not ids & {c.delivery_id for c in theirs}
    assert {(d.status, d.attempts) for d in deliveries(mail_db).values()} == {("sending", 1)}


def test_claiming_and_recording_cost_the_same_statements_at_10_and_100_messages(
        mail_db: Database) -> None:
    now = datetime.now(UTC)
    counts = []
    for size in (10, 100):
        queue(mail_db, [f"{size}-{a}" for a in addresses(size)], now)
        with count_statements(mail_db.engine) as counted:
            with mail_db.unit_of_work() as session:
                claimed = outbox.claim_batch(session, "noc@isp.example", now, LEASE, size)
            failure = DeliveryFailed("451 try later", permanent=False)
            with mail_db.unit_of_work() as session:
                outbox.record_many(session, [(c, (failure.answer, failure)) for c in claimed],
                                   now)
        assert len(claimed) == size
        counts.append(counted.count)
    assert counts[0] == counts[1]
    assert {d.status for d in deliveries(mail_db).values()} == {"retrying"}


def test_a_server_that_is_down_costs_a_few_attempts_not_one_per_message(
        mail_db: Database) -> None:
    now = datetime.now(UTC)
    queue(mail_db, addresses(20), now)
    with smtp_server() as (_inbox, port):
        pass  # the port is free again: connections to it are refused
    summary = send_due(mail_db, mail_for(port, connections=2), now)
    rows = deliveries(mail_db).values()
    tried = [d for d in rows if d.attempts == 1]
    assert 2 <= len(tried) <= 4 and summary.retrying == len(tried)
    assert {(d.status, "SMTP connection failed" in d.error) for d in tried} == {
        ("retrying", True)}
    assert {(d.status, d.attempts) for d in rows if d not in tried} == {("queued", 0)}
