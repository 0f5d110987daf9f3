"""One demo seed per test run and database backend, copied for every test that needs it.

Seeding the demo ISP (months of billing runs, a week of device metrics, the network) takes
tens of seconds, more on PostgreSQL; several tests and browser suites read it. The first
process to need a backend's demo seeds it once, under a file lock in the run's shared
temporary directory; every other process of the run (pytest-xdist workers) copies it: a file
copy for SQLite, `CREATE DATABASE ... TEMPLATE` for PostgreSQL. The run's controller drops the
PostgreSQL template at the end (`drop_templates`).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from dotmac_isp import db_migrate, demo
from dotmac_isp.config import Settings
from dotmac_isp.shared.db import Database
from tests.support.postgres import PostgresServer

_PG_MARKER = "demo-postgresql.name"


def shared_dir(basetemp: Path) -> Path:
    """The directory every process of this run sees: xdist workers' temp dirs sit in it."""
    return basetemp.parent if os.environ.get("PYTEST_XDIST_WORKER") else basetemp


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _seed(url: str, settings: Settings) -> None:
    db_migrate.upgrade(url)
    database = Database.from_url(url)
    try:
        with database.unit_of_work() as session:
            demo.seed(session, settings.model_copy(update={"database_url": url}))
    finally:
        database.dispose()


def sqlite_demo_file(shared: Path, settings: Settings) -> Path:
    """The run's seeded SQLite demo file (seeded by the first caller); copy it before use."""
    seeded = shared / "demo-sqlite.db"
    with _locked(shared / "demo-sqlite.lock"):
        if not seeded.exists():
            building = shared / f"demo-sqlite-{uuid.uuid4().hex[:8]}.db"
            _seed(f"sqlite:///{building}", settings)
            building.rename(seeded)
    return seeded


def copy_sqlite_demo(shared: Path, settings: Settings, target: Path) -> str:
    """A private copy of the seeded SQLite demo at `target`; its URL."""
    shutil.copyfile(sqlite_demo_file(shared, settings), target)
    return f"sqlite:///{target}"


def _postgres_template(shared: Path, server: PostgresServer, settings: Settings) -> str:
    marker = shared / _PG_MARKER
    with _locked(shared / "demo-postgresql.lock"):
        if marker.exists():
            return marker.read_text().split()[0]
        name = f"dotmac_demo_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(server.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        _seed(server.sqlalchemy_url(name), settings)
        marker.write_text(f"{name} {server.admin_url}")
        return name


@contextmanager
def postgres_demo_copy(shared: Path, server: PostgresServer,
                       settings: Settings) -> Iterator[str]:
    """A private copy of the run's seeded PostgreSQL demo, dropped afterwards; its URL."""
    template = _postgres_template(shared, server, settings)
    name = f"dotmac_democopy_{uuid.uuid4().hex[:12]}"
    # a template may have no other session while it is copied
    with _locked(shared / "demo-postgresql.lock"), \
            psycopg.connect(server.admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield server.sqlalchemy_url(name)
    finally:
        with psycopg.connect(server.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def drop_templates(shared: Path) -> None:
    """At the end of the run (controller only): drop the PostgreSQL demo template. A
    throwaway cluster is already gone with its databases."""
    marker = shared / _PG_MARKER
    if not marker.exists():
        return
    name, admin_url = marker.read_text().split()
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except psycopg.OperationalError:
        pass
    marker.unlink()
