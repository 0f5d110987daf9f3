"""Find a PostgreSQL server for the tests: the configured one, the local one, or our own."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg


@dataclass
class PostgresServer:
    admin_url: str  # a libpq URL of a superuser connection to the 'postgres' database
    origin: str

    def sqlalchemy_url(self, database: str) -> str:
        base = self.admin_url.rsplit("/", 1)[0]
        return base.replace("postgresql://", "postgresql+psycopg://", 1) + f"/{database}"


def _reachable(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres(args: list[str]) -> list[str]:
    # initdb refuses to run as root.
    if os.geteuid() == 0 and shutil.which("runuser"):
        return ["runuser", "-u", "postgres", "--", *args]
    return args


@contextmanager
def _own_cluster() -> Iterator[PostgresServer | None]:
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not bins:
        yield None
        return
    bindir = os.path.dirname(bins[-1])
    workdir = tempfile.mkdtemp(prefix="dotmac-pg-")
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
    datadir, port = os.path.join(workdir, "data"), _free_port()
    subprocess.run(_as_postgres([f"{bindir}/initdb", "-D", datadir, "-A", "trust", "-U",
                                 "postgres", "--no-sync"]), check=True, capture_output=True)
    options = f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(_as_postgres([f"{bindir}/pg_ctl", "-D", datadir, "-o", options, "-w",
                                 "-l", os.path.join(workdir, "log"), "start"]),
                   check=True, capture_output=True)
    try:
        yield PostgresServer(f"postgresql://postgres@127.0.0.1:{port}/postgres",
                             f"a throwaway cluster on port {port}")
    finally:
        subprocess.run(_as_postgres([f"{bindir}/pg_ctl", "-D", datadir, "-m", "fast", "-w",
                                     "stop"]), capture_output=True)
        shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def postgres_server() -> Iterator[tuple[PostgresServer | None, str]]:
    """Yield (server, why-not) where server is None when no PostgreSQL can be had."""
    configured = os.environ.get("DOTMAC_TEST_POSTGRES_URL")
    if configured:
        if _reachable(configured):
            yield PostgresServer(configured, "DOTMAC_TEST_POSTGRES_URL"), ""
        else:
            yield None, f"DOTMAC_TEST_POSTGRES_URL={configured} is not reachable"
        return
    local = "postgresql://postgres@127.0.0.1:5432/postgres"
    if _reachable(local):
        yield PostgresServer(local, "the local server on 127.0.0.1:5432"), ""
        return
    try:
        with _own_cluster() as server:
            if server is None:
                yield None, ("no PostgreSQL on 127.0.0.1:5432 and no server binaries to start "
                             "one (install the postgresql package)")
            else:
                yield server, ""
    except (OSError, subprocess.CalledProcessError) as exc:
        yield None, f"could not start a throwaway PostgreSQL cluster: {exc}"


@contextmanager
def scratch_database(server: PostgresServer) -> Iterator[str]:
    """A fresh database for one test run, dropped afterwards; yields its SQLAlchemy URL."""
    name = f"dotmac_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server.admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.sqlalchemy_url(name)
    finally:
        with psycopg.connect(server.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
