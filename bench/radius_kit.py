"""The parts of the RADIUS benchmark: scratch databases, FreeRADIUS configurations, our server
(one or several processes), radclient runs and the latency probe."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import psycopg
from pyrad.packet import AuthPacket

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from dotmac_isp import db_migrate  # noqa: E402
from dotmac_isp.sdks.radius.dictionary import load_dictionary  # noqa: E402
from dotmac_isp.shared import crypto  # noqa: E402

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
SECRET = "bench-secret-123"
SECRET_KEY = "bench-secret-key-0123456789-abcdefghijklmnop"
SYSTEM_RADDB = Path("/etc/freeradius/3.0")
SCHEMA = SYSTEM_RADDB / "mods-config/sql/main/postgresql/schema.sql"
RATE = "10000k/50000k"


def say(text: str) -> None:
    print(text, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def user(i: int) -> tuple[str, str]:
    return f"sub{i:06d}", f"pw{i:06d}x"


# Databases -----------------------------------------------------------------------------

@contextmanager
def scratch_db(prefix: str) -> Iterator[str]:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def dsn(name: str) -> str:
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def seed_ours(name: str, subscribers: int) -> None:
    """One tenant, one NAS on loopback, one plan, N active subscriptions (bulk inserted)."""
    db_migrate.upgrade(dsn(name))
    now = "now()"
    tenant, customer, plan, nas = (uuid.uuid4() for _ in range(4))
    with psycopg.connect(dsn(name)) as conn:
        conn.execute(
            "INSERT INTO tenants (id, name, slug, currency, timezone, is_active, created_at, "
            f"updated_at) VALUES (%s, 'Bench ISP', 'bench', 'USD', 'UTC', true, {now}, {now})",
            (tenant,))
        conn.execute(
            "INSERT INTO customers (id, tenant_id, number, kind, status, first_name, last_name,"
            " company_name, email, phone, tax_id, tax_exempt, tax_exempt_reason, currency, tags,"
            " custom_fields, notes, status_changed_at, search_text, created_at, updated_at) "
            "VALUES (%s, %s, 'C000001', 'residential', 'active', 'Bench', 'User', '', "
            "'bench@example.com', '', '', false, '', 'USD', '[]', '{}', '', now(), '', now(), "
            "now())", (customer, tenant))
        conn.execute(
            "INSERT INTO plans (id, tenant_id, name, description, kind, download_kbps, "
            "upload_kbps, price, currency, billing_cycle, setup_fee, min_contract_months, "
            "session_timeout_seconds, interim_interval_seconds, radius_attributes, is_archived,"
            " created_at, updated_at) VALUES (%s, %s, 'Fibre 50', '', 'internet', 50000, "
            "10000, %s, 'USD', 'monthly', 0, 0, 86400, 300, '{}', false, now(), now())",
            (plan, tenant, Decimal("30")))
        conn.execute(
            "INSERT INTO radius_nas_clients (id, tenant_id, name, address, secret_encrypted, "
            "vendor, coa_port, require_message_authenticator, description, is_active, "
            "created_at, updated_at) VALUES (%s, %s, 'bench-nas', '127.0.0.1/32', %s, "
            "'mikrotik', 3799, false, '', true, now(), now())",
            (nas, tenant, crypto.encrypt(SECRET_KEY, SECRET)))
        with conn.cursor() as cur, cur.copy(
                "COPY subscriptions (id, tenant_id, customer_id, plan_id, status, "
                "radius_username, radius_password_encrypted, notes, status_changed_at, "
                "suspend_reason, version, created_at, updated_at) FROM STDIN") as copy:
            for i in range(subscribers):
                name_, password = user(i)
                copy.write_row((uuid.uuid4(), tenant, customer, plan, "active", name_,
                                crypto.encrypt(SECRET_KEY, password), "", "2026-01-01",
                                "", 1, "2026-01-01", "2026-01-01"))


def seed_freeradius_sql(name: str, subscribers: int) -> None:
    with psycopg.connect(dsn(name)) as conn:
        conn.execute(SCHEMA.read_text())
        with conn.cursor() as cur:
            with cur.copy("COPY radcheck (username, attribute, op, value) FROM STDIN") as copy:
                for i in range(subscribers):
                    name_, password = user(i)
                    copy.write_row((name_, "Cleartext-Password", ":=", password))
            with cur.copy("COPY radreply (username, attribute, op, value) FROM STDIN") as copy:
                for i in range(subscribers):
                    name_, _ = user(i)
                    copy.write_row((name_, "Mikrotik-Rate-Limit", ":=", RATE))
                    copy.write_row((name_, "Session-Timeout", ":=", "86400"))
                    copy.write_row((name_, "Acct-Interim-Interval", ":=", "300"))


def count_stored(name: str, table: str, final_time: int) -> tuple[int, int]:
    with psycopg.connect(dsn(name)) as conn:
        total = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
        final = conn.execute(f"SELECT count(*) FROM {table} WHERE acctsessiontime = %s",
                             (final_time,)).fetchone()
    return int(total[0]) if total else 0, int(final[0]) if final else 0


# FreeRADIUS ----------------------------------------------------------------------------

def prepare_raddb(workdir: Path, auth_port: int, acct_port: int) -> Path:
    raddb = workdir / "raddb"
    shutil.copytree(SYSTEM_RADDB, raddb, symlinks=True)
    conf = raddb / "radiusd.conf"
    text = conf.read_text()
    text = re.sub(r"(?m)^raddbdir = .*$", f"raddbdir = {raddb}", text)
    text = re.sub(r"(?m)^logdir = .*$", f"logdir = {workdir}", text)
    text = re.sub(r"(?m)^run_dir = .*$", f"run_dir = {workdir}", text)
    text = re.sub(r"(?m)^\s*(user|group) = .*$", "", text)
    text = re.sub(r"(?m)^proxy_requests\s*=.*$", "proxy_requests = no", text)
    conf.write_text(text)
    (raddb / "sites-enabled" / "inner-tunnel").unlink(missing_ok=True)
    site = raddb / "sites-available" / "default"
    text = site.read_text()
    text = re.sub(r"(?m)^(\s*)ipaddr = \*", r"\1ipaddr = 127.0.0.1", text)
    text = re.sub(r"(?m)^(\s*)ipv6addr = ::.*$", r"\1ipaddr = 127.0.0.1", text)
    ports = iter([auth_port, acct_port])
    text = re.sub(r"(?m)^(\s*)port = 0\b",
                  lambda m: f"{m.group(1)}port = {next(ports, None) or free_port()}", text)
    site.write_text(text)
    (raddb / "clients.conf").write_text(
        f'client loopback {{\n\tipaddr = 127.0.0.1\n\tsecret = "{SECRET}"\n}}\n')
    return raddb


def flat_users(raddb: Path, subscribers: int) -> None:
    lines = []
    for i in range(subscribers):
        name_, password = user(i)
        lines.append(f'{name_}\tCleartext-Password := "{password}"\n'
                     f'\tMikrotik-Rate-Limit := "{RATE}",\n\tSession-Timeout := 86400,\n'
                     f'\tAcct-Interim-Interval := 300\n')
    (raddb / "mods-config" / "files" / "authorize").write_text("\n".join(lines))


def enable_sql(raddb: Path, database: str) -> None:
    sql = raddb / "mods-available" / "sql"
    text = sql.read_text()
    text = text.replace('dialect = "sqlite"', 'dialect = "postgresql"')
    text = text.replace('driver = "rlm_sql_null"', 'driver = "rlm_sql_${dialect}"')
    text = text.replace('radius_db = "radius"',
                        f'radius_db = "dbname={database} host=127.0.0.1 user=postgres"')
    sql.write_text(text)
    (raddb / "mods-enabled" / "sql").symlink_to(sql)


@contextmanager
def freeradius(raddb: Path) -> Iterator[None]:
    check = subprocess.run(["freeradius", "-XC", "-d", str(raddb)], capture_output=True,
                           text=True, timeout=60, check=False)
    if check.returncode != 0:
        raise RuntimeError("freeradius -XC failed:\n" + check.stdout[-3000:])
    log = raddb.parent / "freeradius.log"
    with log.open("w") as out:
        process = subprocess.Popen(["freeradius", "-f", "-l", "stdout", "-d", str(raddb)],
                                   stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: "Ready to process requests" in log.read_text(errors="replace"),
                     process)
            yield
        finally:
            stop(process)


@contextmanager
def our_server(database: str, auth_port: int, acct_port: int, processes: int = 1,
               log: Path | None = None, settings: dict[str, str] | None = None,
               ) -> Iterator[subprocess.Popen[str]]:
    """`dotmac-isp radius serve`, with --processes when more than one; ready when every
    worker serves its /metrics and the port answers. database: a scratch database's name, or
    a URL; settings: more DOTMAC_ variables. Yields the process (with one worker, the one
    that serves)."""
    metrics = free_tcp_ports(processes)
    url = database if "://" in database else dsn(database)
    env = {**os.environ, **(settings or {}), "DOTMAC_DATABASE_URL": url,
           "DOTMAC_SECRET_KEY": SECRET_KEY,
           "DOTMAC_LOG_LEVEL": "WARNING", "DOTMAC_RADIUS__HOST": "127.0.0.1",
           "DOTMAC_RADIUS__AUTH_PORT": str(auth_port),
           "DOTMAC_RADIUS__ACCT_PORT": str(acct_port),
           "DOTMAC_RADIUS__PROCESSES": str(processes),
           "DOTMAC_RADIUS__METRICS_PORT": str(metrics)}
    with (log.open("w") if log else open(os.devnull, "w")) as out:
        process = subprocess.Popen([sys.executable, "-m", "dotmac_isp.cli", "radius", "serve"],
                                   env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
        try:
            try:
                wait_for(lambda: all(_serves_metrics(metrics + n) for n in range(processes))
                         and probe_once(auth_port, 0) is not None, process, 120)
            except RuntimeError as exc:
                said = log.read_text(errors="replace")[-2000:] if log else ""
                raise RuntimeError(f"our server did not start:\n{said}") from exc
            yield process
        finally:
            stop(process)


def _serves_metrics(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2):
            return True
    except OSError:
        return False


def free_tcp_ports(count: int) -> int:
    """The first of `count` consecutive free TCP ports (worker N serves /metrics on + N)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            first = int(probe.getsockname()[1])
        socks = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
        try:
            for n, sock in enumerate(socks):
                sock.bind(("127.0.0.1", first + n))
            return first
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
    raise RuntimeError("no consecutive free TCP ports")


def wait_for(ready: object, process: subprocess.Popen[str] | subprocess.Popen[bytes],
             seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not ready():  # type: ignore[operator]
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.1)


def stop(process: subprocess.Popen[str] | subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


# Load ----------------------------------------------------------------------------------

def auth_file(path: Path, subscribers: int, requests: int) -> None:
    with path.open("w") as out:
        for n in range(requests):
            name_, password = user(n % subscribers)
            out.write(f'User-Name = "{name_}"\nUser-Password = "{password}"\n'
                      f'NAS-IP-Address = 127.0.0.1\nNAS-Port = {n}\n'
                      f'Calling-Station-Id = "02:00:00:{n >> 16 & 255:02x}:{n >> 8 & 255:02x}:'
                      f'{n & 255:02x}"\n\n')


def interim_file(path: Path, subscribers: int, session_time: int) -> None:
    with path.open("w") as out:
        for i in range(subscribers):
            name_, _ = user(i)
            out.write(f'Acct-Status-Type = Interim-Update\nUser-Name = "{name_}"\n'
                      f'Acct-Session-Id = "S{i:06d}"\nNAS-IP-Address = 127.0.0.1\n'
                      f'NAS-Port = {i}\nAcct-Session-Time = {session_time}\n'
                      f'Acct-Input-Octets = {session_time * 1000 + i}\n'
                      f'Acct-Output-Octets = {session_time * 5000 + i}\n'
                      f'Framed-IP-Address = 100.64.{i >> 8 & 255}.{i & 255}\n\n')


@dataclass
class Run:
    seconds: float
    sent: int
    answered: int
    latencies: list[float] = field(default_factory=list)
    light: list[float] = field(default_factory=list)  # probes beside radclient -p LIGHT

    @property
    def rate(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0

    def percentile(self, q: float, light: bool = False) -> float:
        samples = self.light if light else self.latencies
        if not samples:
            return float("nan")
        data = sorted(samples)
        return data[min(len(data) - 1, int(q * len(data)))] * 1000


def radclient(path: Path, port: int, kind: str, sent: int, parallel: int) -> Run:
    started = time.perf_counter()
    done = subprocess.run(["timeout", "300", "radclient", "-q", "-s", "-f", str(path), "-p",
                           str(parallel), "-t", "5", "-r", "1", f"127.0.0.1:{port}", kind,
                           SECRET], capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    totals = {k: int(v) for k, v in re.findall(r"(Accepted|Rejected|Lost)\s*:\s*(\d+)",
                                               done.stdout)}
    answered = totals.get("Accepted", 0) + totals.get("Rejected", 0)
    if kind == "acct":
        answered = sent - totals.get("Lost", 0)
    return Run(seconds, sent, answered)


def count_blocks(path: Path) -> int:
    return path.read_text().count("\n\n")


def probe_once(port: int, n: int, timeout: float = 1.0) -> float | None:
    name_, password = user(n)
    packet = AuthPacket(code=1, id=n % 256, secret=SECRET.encode(), dict=load_dictionary())
    packet["User-Name"] = name_
    packet["User-Password"] = packet.PwCrypt(password)
    packet["NAS-IP-Address"] = "127.0.0.1"
    data = packet.RequestPacket()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        started = time.perf_counter()
        sock.sendto(data, ("127.0.0.1", port))
        try:
            sock.recv(4096)
        except (TimeoutError, ConnectionRefusedError):
            return None
        return time.perf_counter() - started


LIGHT = 10


def auth_run(path: Path, port: int, sent: int, parallel: int, subscribers: int) -> Run:
    run = _probed(path, port, sent, parallel, subscribers)
    run.light = _probed(path, port, sent // 4, LIGHT, subscribers).latencies
    return run


def _probed(path: Path, port: int, sent: int, parallel: int, subscribers: int) -> Run:
    latencies: list[float] = []
    done = threading.Event()

    def probe() -> None:
        n = 0
        while not done.is_set() and n < 20_000:
            value = probe_once(port, n % subscribers)
            if value is not None:
                latencies.append(value)
            n += 1
            time.sleep(0.004)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    if sent < count_blocks(path):
        lines = path.read_text().split("\n\n")[:sent]
        path = path.with_suffix(".part")
        path.write_text("\n\n".join(lines) + "\n\n")
    run = radclient(path, port, "auth", sent, parallel)
    done.set()
    thread.join(5)
    run.latencies = latencies
    return run
