"""The memory and durability parts of the RADIUS benchmark: the server's resident memory
through a long run of accounting whose values are all new, and durable accounting on SQLite
with synchronous=NORMAL against FULL."""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert

from bench.radius_kit import SECRET, SECRET_KEY, Run, radclient, user
from dotmac_isp import db_migrate, wiring
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.radius.models import NasClient
from dotmac_isp.modules.services.models import Plan, Subscription
from dotmac_isp.shared import crypto
from dotmac_isp.shared.db import make_engine

CHUNK = 10_000  # accounting packets between two readings of the server's memory


def seed_sqlite(url: str, subscribers: int) -> None:
    """What seed_ours puts in PostgreSQL, in a SQLite file: one tenant, one NAS on loopback,
    one plan, N active subscriptions."""
    wiring.install()
    db_migrate.upgrade(url)
    engine = make_engine(url)
    tenant, customer, plan = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with engine.begin() as conn:
        conn.execute(insert(Tenant.__table__).values(  # type: ignore[arg-type]
            id=tenant, name="Bench ISP", slug="bench", currency="USD", timezone="UTC"))
        conn.execute(insert(Customer.__table__).values(  # type: ignore[arg-type]
            id=customer, tenant_id=tenant, number="C000001", kind="residential",
            status="active", first_name="Bench", last_name="User", email="bench@example.com"))
        conn.execute(insert(Plan.__table__).values(  # type: ignore[arg-type]
            id=plan, tenant_id=tenant, name="Fibre 50", kind="internet", download_kbps=50_000,
            upload_kbps=10_000, price=Decimal("30"), currency="USD",
            session_timeout_seconds=86_400, interim_interval_seconds=300))
        conn.execute(insert(NasClient.__table__).values(  # type: ignore[arg-type]
            tenant_id=tenant, name="bench-nas", address="127.0.0.1/32",
            secret_encrypted=crypto.encrypt(SECRET_KEY, SECRET), vendor="mikrotik",
            coa_port=3799, require_message_authenticator=False, is_active=True))
        conn.execute(insert(Subscription.__table__), [  # type: ignore[arg-type]
            {"tenant_id": tenant, "customer_id": customer, "plan_id": plan, "status": "active",
             "radius_username": user(i)[0],
             "radius_password_encrypted": crypto.encrypt(SECRET_KEY, user(i)[1])}
            for i in range(subscribers)])
    engine.dispose()


def stored_sqlite(path: Path, final_time: int) -> tuple[int, int]:
    """Rows in radacct, and those holding the last update sent (read with a plain
    connection: what a restart would find)."""
    with sqlite3.connect(path) as conn:
        total = conn.execute("SELECT count(*) FROM radacct").fetchone()[0]
        final = conn.execute("SELECT count(*) FROM radacct WHERE acctsessiontime = ?",
                             (final_time,)).fetchone()[0]
    return int(total), int(final)


def fresh_stops(path: Path, first: int, count: int, subscribers: int) -> None:
    """Accounting-Stops in which every value is new: session id, Class, station ids,
    Connect-Info and enumerated values no dictionary names. Stops, so the sessions the
    server must count for simultaneous use stay level and what grows is what it caches."""
    with path.open("w") as out:
        for n in range(first, first + count):
            name, _ = user(n % subscribers)
            out.write(f'Acct-Status-Type = Stop\nUser-Name = "{name}"\n'
                      f'Acct-Session-Id = "M{n:09d}"\nNAS-IP-Address = 127.0.0.1\n'
                      f'NAS-Port = {n}\nClass = 0x{uuid.uuid4().hex}{n:08x}\n'
                      f'Called-Station-Id = "bench-ap-{n}"\n'
                      f'Calling-Station-Id = "02:{n >> 24 & 255:02x}:{n >> 16 & 255:02x}:'
                      f'{n >> 8 & 255:02x}:{n & 255:02x}:00"\n'
                      f'Connect-Info = "{n % 1000 + 1} Mbps link {n}"\n'
                      f'NAS-Port-Type = {1000 + n}\nAcct-Terminate-Cause = {1000 + n}\n'
                      f'Acct-Session-Time = {n % 86_400}\nAcct-Input-Octets = {n * 1000}\n'
                      f'Acct-Output-Octets = {n * 5000}\n\n')


def rss_mib(pid: int) -> float:
    """VmRSS of a process, from /proc/PID/status (what that process reads as /proc/self)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


@dataclass
class MemoryRun:
    points: list[tuple[int, float]]  # (packets sent so far, RSS MiB)
    warmup: int
    lost: int
    seconds: float

    def growth_per_chunk(self) -> float:
        """MiB per CHUNK packets after the warm-up."""
        measured = [(n, rss) for n, rss in self.points if n >= self.warmup]
        (n0, rss0), (n1, rss1) = measured[0], measured[-1]
        return (rss1 - rss0) / ((n1 - n0) / CHUNK) if n1 > n0 else 0.0


def memory_run(work: Path, port: int, pid: int, subscribers: int, warmup: int, total: int,
               parallel: int) -> MemoryRun:
    """warmup + total fresh Stops in chunks of CHUNK, the server's RSS after each chunk."""
    points, lost, seconds = [(0, rss_mib(pid))], 0, 0.0
    path = work / "fresh-stops.txt"
    for first in range(0, warmup + total, CHUNK):
        fresh_stops(path, first, CHUNK, subscribers)
        run: Run = radclient(path, port, "acct", CHUNK, parallel)
        lost += CHUNK - run.answered
        seconds += run.seconds
        points.append((first + CHUNK, rss_mib(pid)))
    return MemoryRun(points, warmup, lost, seconds)
