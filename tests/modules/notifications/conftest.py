"""A database of its own for the outbox tests where several senders, threads or processes,
commit at the same time: they cannot share the suite's rolled-back transaction."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete

from dotmac_isp import db_migrate, wiring
from dotmac_isp.modules.notifications.models import Delivery
from dotmac_isp.shared.db import Database
from tests.support.postgres import scratch_database


@pytest.fixture(scope="session")
def mail_url(database_url: str, tmp_path_factory: pytest.TempPathFactory,
             _postgres: Any) -> Iterator[str]:
    wiring.install()
    if database_url.startswith("sqlite"):
        path: Path = tmp_path_factory.mktemp("outbox") / "outbox.db"
        url = f"sqlite:///{path}"
        db_migrate.upgrade(url)
        yield url
        return
    server, _reason = _postgres
    with scratch_database(server) as url:
        db_migrate.upgrade(url)
        yield url


@pytest.fixture
def mail_db(mail_url: str) -> Iterator[Database]:
    """Committed data; the outbox is emptied before and after each test."""
    database = Database.from_url(mail_url)
    with database.unit_of_work() as session:
        session.execute(delete(Delivery))
    try:
        yield database
    finally:
        with database.unit_of_work() as session:
            session.execute(delete(Delivery))
        database.dispose()
