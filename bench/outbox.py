"""Outbox benchmark: CoA/Disconnect requests and emails sent by the jobs, before and after
batch claims with parallel sending, in one run, on SQLite and (when reachable) PostgreSQL.

    .venv/bin/python -m bench.outbox [--coa 1000] [--dead-share 0.05] [--emails 2000]

CoA: requests to a NAS stand-in on loopback (pyrad, answers ACK); a share of them goes to a
silent NAS (a loopback UDP port that never answers; timeout --timeout s, no retries).
Email: messages to an SMTP server on loopback (aiosmtpd). The reference ("before") is the
old path measured in the same run: every due row claimed, sent and recorded one after the
other (coa.deliver per id; outbox.attempt per id, one SMTP connection per message). Then the
new job path with a concurrency of 1 and with the configured pool. The stand-ins run in this
process and share its cores. Prints figures and ratios; exits 0.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import insert, select, update
from tests.modules.network.radius.nas_stand_in import SECRET, nas_stand_in
from tests.support.smtp import smtp_server

from bench.scratch import ADMIN_URL, scratch_database
from dotmac_isp import db_migrate, wiring
from dotmac_isp.config import MailSettings, RadiusSettings, Settings
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.network.radius import coa, schemas
from dotmac_isp.modules.network.radius import nas as nas_service
from dotmac_isp.modules.network.radius.models import CoaRequest
from dotmac_isp.modules.notifications import outbox, service
from dotmac_isp.modules.notifications.models import Delivery
from dotmac_isp.shared.db import Database

LEASE = timedelta(minutes=5)
CONTEXT = {"tenant": {"name": "Bench Fibre"}, "customer": {"name": "Ada Obi"},
           "payment": {"amount": "29.99", "currency": "NGN", "reference": "PAY-1",
                       "received_date": "2026-11-10"}}


def say(text: str) -> None:
    print(text, flush=True)


def databases(url: str) -> Iterator[tuple[str, str]]:
    """(name, url) of a fresh SQLite file, then of a scratch PostgreSQL database."""
    wiring.install()
    with tempfile.TemporaryDirectory(prefix="dotmac-outbox-") as tmp:
        sqlite_url = f"sqlite:///{Path(tmp) / 'outbox.db'}"
        db_migrate.upgrade(sqlite_url)
        yield "SQLite", sqlite_url
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.Error as exc:
        say(f"PostgreSQL skipped: {url} is not reachable ({exc})")
        return
    with scratch_database(url) as pg_url:
        yield "PostgreSQL", pg_url


def timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def bench_coa(database: Database, settings: Settings, count: int, dead_share: float,
              concurrency: int) -> None:
    with database.unit_of_work() as session:
        tenant = identity_service.create_tenant(session, name="Bench",
                                                slug=f"b-{uuid.uuid4().hex[:8]}")
        nas, _secret = nas_service.create_nas(session, settings, tenant.id, schemas.NasCreate(
            name="bng-1", address="127.0.0.1", secret=SECRET, vendor="mikrotik"))  # type: ignore[arg-type]
        tenant_id, nas_id = tenant.id, nas.id
    every = max(1, round(1 / dead_share)) if dead_share > 0 else 0
    with nas_stand_in("silent") as dead, nas_stand_in() as live:
        now = datetime.now(UTC)
        rows = [{"id": uuid.uuid4(), "tenant_id": tenant_id, "nas_id": nas_id,
                 "username": f"user-{n}", "acctsessionid": f"S-{n:05d}",
                 "target_address": "127.0.0.1",
                 "target_port": dead.port if every and n % every == every - 1 else live.port,
                 "kind": "disconnect", "reason": "suspended",
                 "attributes": [["User-Name", f"user-{n}"], ["Acct-Session-Id", f"S-{n:05d}"]],
                 "state": "pending", "attempts": 0, "next_attempt_at": now,
                 "requested_by": "bench", "created_at": now} for n in range(count)]
        with database.unit_of_work() as session:
            session.execute(insert(CoaRequest), rows)
        dead_count = sum(1 for r in rows if r["target_port"] == dead.port)

        def reset() -> datetime:
            later = datetime.now(UTC)
            with database.unit_of_work() as session:
                session.execute(update(CoaRequest).values(
                    state="pending", attempts=0, next_attempt_at=later, response="",
                    completed_at=None))
            dead.received.clear()
            live.received.clear()
            return later

        def old_path() -> None:
            with database.unit_of_work(write=False) as session:
                due = coa.due_ids(session, when, limit=count)
            for request_id in due:
                coa.deliver(database, settings, request_id, when)

        def check(label: str, seconds: float, reference: float | None) -> None:
            with database.unit_of_work(write=False) as session:
                states = list(session.scalars(select(CoaRequest.state)))
            acked = states.count("acked")
            ratio = f", {reference / seconds:.1f}x the sequential path" if reference else ""
            say(f"  {label:<34} {seconds:7.2f} s  {count / seconds:8.0f} requests/s  "
                f"({acked} acked, {states.count('pending')} waiting for a retry; "
                f"NAS saw {len(live.received)} live + {len(dead.received)} dead){ratio}")

        when = reset()
        say(f" CoA: {count} requests, {dead_count} to a silent NAS, timeout "
            f"{settings.radius.coa_timeout_seconds} s, no retries")
        reference = timed(old_path)
        check("before: one after another", reference, None)
        one = settings.model_copy(update={"radius": settings.radius.model_copy(
            update={"coa_concurrency": 1})})
        when = reset()
        seconds = timed(lambda: coa.deliver_due(database, one, when))
        check("job, concurrency 1", seconds, reference)
        when = reset()
        seconds = timed(lambda: coa.deliver_due(database, settings, when))
        check(f"job, concurrency {concurrency}", seconds, reference)


def bench_email(database: Database, count: int, connections: int) -> None:
    with smtp_server() as (inbox, port):
        mail = MailSettings(smtp_host="127.0.0.1", smtp_port=port,
                            smtp_connections=connections, sender="Bench <noc@isp.example>")
        now = datetime.now(UTC)
        with database.unit_of_work() as session:
            tenant = identity_service.create_tenant(session, name="Bench",
                                                    slug=f"m-{uuid.uuid4().hex[:8]}")
            service.queue_many(session, tenant.id, "billing.payment_received", [
                service.Outgoing(f"c{n:05d}@example.com", CONTEXT) for n in range(count)],
                now=now)

        def reset() -> datetime:
            later = datetime.now(UTC)
            with database.unit_of_work() as session:
                session.execute(update(Delivery).values(
                    status="queued", attempts=0, next_attempt_at=later, lease_until=None,
                    sent_at=None))
            inbox.clear()
            return later

        def old_path() -> None:
            with database.unit_of_work(write=False) as session:
                due = outbox.due_ids(session, when, count)
            for delivery_id in due:
                outbox.attempt(database.unit_of_work, delivery_id, mail, when, LEASE)

        def check(label: str, seconds: float, reference: float | None) -> None:
            received = len(inbox.wait_for(count, timeout=10))
            ratio = f", {reference / seconds:.1f}x the sequential path" if reference else ""
            say(f"  {label:<34} {seconds:7.2f} s  {count / seconds:8.0f} messages/s  "
                f"({received} received over {inbox.connections} connections){ratio}")

        say(f" Email: {count} messages")
        when = reset()
        reference = timed(old_path)
        check("before: one after another", reference, None)
        when = reset()
        seconds = timed(lambda: outbox.send_due(
            database.unit_of_work, mail.model_copy(update={"smtp_connections": 1}), when,
            limit=count, lease=LEASE))
        check("job, 1 reused connection", seconds, reference)
        when = reset()
        seconds = timed(lambda: outbox.send_due(database.unit_of_work, mail, when,
                                                limit=count, lease=LEASE))
        check(f"job, {connections} reused connections", seconds, reference)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--coa", type=int, default=1000)
    parser.add_argument("--dead-share", type=float, default=0.05)
    parser.add_argument("--timeout", type=float, default=0.5)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--emails", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--url", default=ADMIN_URL,
                        help="PostgreSQL admin URL; a scratch database is created and dropped")
    args = parser.parse_args()
    settings = Settings(environment="test", log_level="WARNING",  # type: ignore[arg-type]
                        secret_key="bench-secret-key-0123456789-abcdefghijklmnop")
    settings = settings.model_copy(update={"radius": RadiusSettings(
        coa_timeout_seconds=args.timeout, coa_retries=0, coa_concurrency=args.concurrency)})
    for name, url in databases(args.url):
        say(f"{name}:")
        database = Database.from_url(url)
        try:
            bench_coa(database, settings, args.coa, args.dead_share, args.concurrency)
            bench_email(database, args.emails, args.connections)
        finally:
            database.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
