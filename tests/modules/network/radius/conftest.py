"""A database of its own for the RADIUS server tests: the server runs in threads and commits,
so it cannot share the suite's rolled-back transaction."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete

from dotmac_isp import db_migrate, wiring
from dotmac_isp.config import Settings
from dotmac_isp.modules.network.radius.models import NasClient
from dotmac_isp.shared.db import Database
from tests.modules.network.radius.coa_rows import Outbox, outbox_of
from tests.support.postgres import scratch_database


@pytest.fixture(scope="session")
def radius_url(database_url: str, tmp_path_factory: pytest.TempPathFactory,
               _postgres: Any) -> Iterator[str]:
    wiring.install()
    if database_url.startswith("sqlite"):
        path: Path = tmp_path_factory.mktemp("radius") / "radius.db"
        url = f"sqlite:///{path}"
        db_migrate.upgrade(url)
        yield url
        return
    server, _reason = _postgres
    with scratch_database(server) as url:
        db_migrate.upgrade(url)
        yield url


@pytest.fixture
def radius_db(radius_url: str) -> Iterator[Database]:
    """Committed data; NAS clients are removed afterwards (their addresses are unique)."""
    database = Database.from_url(radius_url)
    try:
        yield database
    finally:
        with database.unit_of_work() as session:
            session.execute(delete(NasClient))
        database.dispose()


@pytest.fixture
def outbox(radius_db: Database, settings: Settings) -> Iterator[Outbox]:
    """The CoA outbox of this test only: a tenant with a NAS on loopback, emptied after."""
    with outbox_of(radius_db, settings) as box:
        yield box
