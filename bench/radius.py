"""RADIUS benchmark: our server against FreeRADIUS + rlm_sql (PostgreSQL) and FreeRADIUS with a
flat users file, in one run, with the same subscribers and the same load generator.

    .venv/bin/python bench/radius.py [--subscribers 10000] [--requests 20000]

Load: radclient (freeradius-utils) under `timeout`, -p 200, files of distinct requests.
Latency: a probe sends one Access-Request at a time beside the load and times each answer
(radclient reports no latencies); p50/p99 are under load. Accounting: Interim-Updates for
every subscriber's session, twice, then the stored rows are checked: each session must hold
its second update. Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) and the Debian
packages freeradius, freeradius-utils, freeradius-postgresql. Prints figures and ratios;
exits 0 (also when something is missing, saying what).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
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
def our_server(database: str, auth_port: int, acct_port: int) -> Iterator[None]:
    env = {**os.environ, "DOTMAC_DATABASE_URL": dsn(database), "DOTMAC_SECRET_KEY": SECRET_KEY,
           "DOTMAC_LOG_LEVEL": "WARNING", "DOTMAC_RADIUS__HOST": "127.0.0.1",
           "DOTMAC_RADIUS__AUTH_PORT": str(auth_port),
           "DOTMAC_RADIUS__ACCT_PORT": str(acct_port)}
    process = subprocess.Popen([sys.executable, "-m", "dotmac_isp.cli", "radius", "serve"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    try:
        wait_for(lambda: probe_once(auth_port, 0) is not None, process)
        yield
    finally:
        stop(process)


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--parallel", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    missing = [tool for tool in ("radclient", "freeradius", "timeout") if not shutil.which(tool)]
    if missing:
        say(f"skipped: {', '.join(missing)} not installed (apt-get install freeradius "
            "freeradius-utils freeradius-postgresql)")
        return 0
    try:
        psycopg.connect(ADMIN_URL, connect_timeout=3).close()
    except psycopg.Error as exc:
        say(f"skipped: no PostgreSQL at {ADMIN_URL}: {exc}")
        return 0
    subs, total, parallel = args.subscribers, args.requests, args.parallel
    say(f"RADIUS bench: {subs} subscribers; per server and round {total} Access-Requests "
        f"and {2 * subs} Interim-Updates; radclient -p {parallel}; best of {args.rounds} "
        f"rounds; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    results: dict[str, Run] = {}
    acct: dict[str, tuple[Run, int, int]] = {}
    rounds = args.rounds
    with tempfile.TemporaryDirectory(prefix="radius-bench-") as tmp, \
            scratch_db("bench_ours") as ours_db, scratch_db("bench_fr") as fr_db:
        work = Path(tmp)
        seed_ours(ours_db, subs)
        seed_freeradius_sql(fr_db, subs)
        requests_file = work / "auth.txt"
        auth_file(requests_file, subs, total)
        interims = [work / f"interim{k}.txt" for k in range(2 * rounds)]
        for k, path in enumerate(interims):
            interim_file(path, subs, 300 * (k + 1))
        final = 300 * len(interims)
        ports = {name: (free_port(), free_port()) for name in ("ours", "sql", "flat")}
        raddb_sql = prepare_raddb(_mkdir(work / "sql"), *ports["sql"])
        enable_sql(raddb_sql, fr_db)
        raddb_flat = prepare_raddb(_mkdir(work / "flat"), *ports["flat"])
        flat_users(raddb_flat, subs)
        # All three run at once and take turns, round after round: the machine is shared,
        # and load from elsewhere then falls on each of them alike. The best round counts.
        with our_server(ours_db, *ports["ours"]), freeradius(raddb_sql), \
                freeradius(raddb_flat):
            servers = {"ours": ports["ours"][0], "freeradius_sql": ports["sql"][0],
                       "freeradius_flat": ports["flat"][0]}
            for port in servers.values():
                radclient(requests_file, port, "auth", total, parallel)  # warm up
            for _round in range(rounds):
                for key, port in servers.items():
                    run = auth_run(requests_file, port, total, parallel, subs)
                    if key not in results or run.rate > results[key].rate:
                        results[key] = run
            acct_runs: dict[str, list[Run]] = {"ours": [], "freeradius_sql": []}
            for k in range(0, len(interims), 2):
                for key, port in (("ours", ports["ours"][1]),
                                  ("freeradius_sql", ports["sql"][1])):
                    acct_runs[key].append(_merge([
                        radclient(interims[k], port, "acct", subs, parallel),
                        radclient(interims[k + 1], port, "acct", subs, parallel)]))
            time.sleep(0.5)
        for key, database in (("ours", ours_db), ("freeradius_sql", fr_db)):
            best = max(acct_runs[key], key=lambda r: r.rate)
            acct[key] = (best, *count_stored(database, "radacct", final))
    report(results, acct, subs)
    return 0


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


def _merge(runs: list[Run]) -> Run:
    return Run(sum(r.seconds for r in runs), sum(r.sent for r in runs),
               sum(r.answered for r in runs))


def report(results: dict[str, Run], acct: dict[str, tuple[Run, int, int]],
           subs: int) -> None:
    names = {"ours": "DotMac RADIUS", "freeradius_sql": "FreeRADIUS + rlm_sql (PostgreSQL)",
             "freeradius_flat": "FreeRADIUS, flat users file"}
    say("\nAccess-Request (latency by a probe beside radclient: at -p 200 the probe also waits "
        "behind up to 200 queued requests; at -p 10 it sees the service time)")
    say(f"  {'server':36} {'answered':>9} {'auth/s':>8} {'p50/p99 ms at -p 200':>22}"
        f" {'p50/p99 ms at -p 10':>21}")
    for key, run in results.items():
        say(f"  {names[key]:36} {run.answered:>9} {run.rate:>8.0f} "
            f"{run.percentile(0.5):>10.2f} / {run.percentile(0.99):<9.2f} "
            f"{run.percentile(0.5, True):>9.2f} / {run.percentile(0.99, True):<9.2f}")
    say("\nInterim-Update (every update stored: rows holding the last update sent)")
    say(f"  {'server':36} {'answered':>9} {'acct/s':>8} {'rows':>7} {'final':>7}")
    for key, (run, rows, final) in acct.items():
        say(f"  {names[key]:36} {run.answered:>9} {run.rate:>8.0f} {rows:>7} {final:>7}")
    ours, sql, flat = results["ours"], results["freeradius_sql"], results["freeradius_flat"]
    say("\nRatios (goal)")
    say(f"  auth vs FreeRADIUS + SQL:   {ours.rate / sql.rate:5.2f}x  (>= 2x)")
    say(f"  auth vs flat users file:    {ours.rate / flat.rate:5.2f}x  (>= 0.4x)")
    say(f"  auth p99 at -p {LIGHT}:           {ours.percentile(0.99, True):5.2f} ms (< 10 ms); "
        f"at -p 200: {ours.percentile(0.99):.2f} ms (FreeRADIUS + SQL "
        f"{sql.percentile(0.99):.2f} ms)")
    ours_acct, sql_acct = acct["ours"][0], acct["freeradius_sql"][0]
    say(f"  acct vs FreeRADIUS + SQL:   {ours_acct.rate / sql_acct.rate:5.2f}x")
    say(f"  acct durable:               {ours_acct.rate:5.0f}/s (>= 5000/s), "
        f"lost {2 * subs - ours_acct.answered} in the best round; sessions holding the last "
        f"update of all rounds: {acct['ours'][2]}/{subs}")


if __name__ == "__main__":
    sys.exit(main())
