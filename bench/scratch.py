"""A scratch PostgreSQL database for a bench: created, migrated, dropped afterwards.

    with scratch_database(args.url) as url:
        database = Database.from_url(url)
        ...
        database.dispose()
"""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from dotmac_isp import db_migrate, wiring

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def add_url_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", default=ADMIN_URL,
                        help="an admin URL; a scratch database is created and dropped")


@contextmanager
def scratch_database(admin_url: str) -> Iterator[str]:
    """The SQLAlchemy URL of a new, migrated database, dropped when the block ends."""
    wiring.install()
    name = f"dotmac_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        url = f"{base}/{name}"
        db_migrate.upgrade(url)
        yield url
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
