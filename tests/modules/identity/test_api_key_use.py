"""Fresh API keys reading while others write: no read fails because the key's last use is
recorded, and the last use is still recorded. Committed data, real threads, both databases."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine

from dotmac_isp.config import Settings
from dotmac_isp.main import create_app
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.identity import api_key_use
from dotmac_isp.modules.identity.models import ApiKey, Tenant, User
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.types import utcnow
from tests.support.factories import make_tenant, make_user

READERS = 30
WRITERS = 2


@dataclass
class Committed:
    database: Database
    tenant_id: uuid.UUID
    admin_headers: dict[str, str]
    keys: list[str]


@pytest.fixture
def committed(engine: Engine, settings: Settings) -> Iterator[Committed]:
    database = Database(engine)
    with database.unit_of_work() as session:
        tenant = make_tenant(session, f"keys-{uuid.uuid4().hex[:8]}")
        admin = make_user(session, settings, tenant, "admin")
        made = Committed(database, tenant.id, admin.headers, [])
    client = TestClient(create_app(settings, database, configure_logs=False))
    for n in range(READERS):
        created = client.post("/api/v1/api-keys", headers=made.admin_headers,
                              json={"name": f"reader-{n}", "scopes": ["customers:read"]})
        made.keys.append(created.json()["key"])
    yield made
    with database.unit_of_work() as session:
        for model in (Customer, ApiKey, User):
            session.execute(delete(model).where(model.tenant_id == made.tenant_id))
        session.execute(delete(Tenant).where(Tenant.id == made.tenant_id))


def test_fresh_keys_read_beside_writers_and_their_use_is_recorded(
        committed: Committed, settings: Settings) -> None:
    client = TestClient(create_app(settings, committed.database, configure_logs=False),
                        raise_server_exceptions=False)
    start = threading.Barrier(READERS + WRITERS)
    readers_done = threading.Event()
    reads: list[tuple[int, str]] = []
    writes: list[int] = []

    def read(key: str) -> None:
        start.wait()
        response = client.get("/api/v1/customers", headers={"Authorization": f"Bearer {key}"})
        reads.append((response.status_code, response.text[:200]))

    def write(n: int) -> None:
        start.wait()
        i = 0
        while not readers_done.is_set() or i < 3:
            i += 1
            response = client.post("/api/v1/customers", headers=committed.admin_headers,
                                   json={"first_name": f"Writer{n}", "last_name": f"No{i}"})
            writes.append(response.status_code)

    readers = [threading.Thread(target=read, args=(key,)) for key in committed.keys]
    writers = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in readers + writers:
        thread.start()
    for thread in readers:
        thread.join(timeout=120)
    readers_done.set()
    for thread in writers:
        thread.join(timeout=120)
    assert len(reads) == READERS
    assert [r for r in reads if r[0] != 200] == []
    assert writes and set(writes) == {201}
    with committed.database.unit_of_work(write=False) as session:
        used = session.scalars(select(ApiKey.last_used_at)
                               .where(ApiKey.tenant_id == committed.tenant_id)).all()
    assert len(used) == READERS and all(at is not None for at in used)


def test_recording_is_throttled_and_a_failure_is_only_logged(
        committed: Committed, caplog: pytest.LogCaptureFixture) -> None:
    with committed.database.unit_of_work(write=False) as session:
        key_id = session.scalars(select(ApiKey.id)
                                 .where(ApiKey.tenant_id == committed.tenant_id)).first()
    assert key_id is not None
    first = utcnow()
    api_key_use.record_use(committed.database, key_id, first)
    api_key_use.record_use(committed.database, key_id, first + api_key_use.RECORD_EVERY / 2)
    with committed.database.unit_of_work(write=False) as session:
        assert session.scalar(select(ApiKey.last_used_at).where(ApiKey.id == key_id)) == first

    class Broken:
        def unit_of_work(self) -> object:
            raise api_key_use.SQLAlchemyError("database is locked")

    api_key_use.record_use(Broken(), key_id, utcnow())
    assert "last use not recorded" in caplog.text
