"""Many wrong passwords at the same moment: the lockout engages after the threshold, not after
every parallel attempt has been answered. Committed data, real threads, both databases."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete
from sqlalchemy.engine import Engine

from dotmac_isp.config import Settings
from dotmac_isp.main import create_app
from dotmac_isp.modules.identity.models import Tenant, User
from dotmac_isp.shared.db import Database
from tests.support.factories import PASSWORD, make_tenant, make_user
from tests.support.parallel import at_once

ATTEMPTS = 50


@dataclass
class Committed:
    database: Database
    tenant_id: uuid.UUID
    email: str


@pytest.fixture
def committed(engine: Engine, settings: Settings) -> Iterator[Committed]:
    database = Database(engine)
    with database.unit_of_work() as session:
        tenant = make_tenant(session, f"lock-{uuid.uuid4().hex[:8]}")
        staff = make_user(session, settings, tenant, "support")
        made = Committed(database, tenant.id, staff.user.email)
    yield made
    with database.unit_of_work() as session:
        session.execute(delete(User).where(User.tenant_id == made.tenant_id))
        session.execute(delete(Tenant).where(Tenant.id == made.tenant_id))


def test_parallel_wrong_passwords_lock_the_account_at_the_threshold(
        committed: Committed, settings: Settings) -> None:
    app = create_app(settings, committed.database, configure_logs=False)
    client = TestClient(app, raise_server_exceptions=False)
    statuses = at_once(ATTEMPTS, lambda n: client.post("/api/v1/auth/login", json={
        "email": committed.email, "password": f"wrong-password-{n}"}).status_code)
    threshold = settings.auth.lockout_threshold
    assert len(statuses) == ATTEMPTS
    assert sorted(set(statuses)) == [401, 423]
    assert statuses.count(401) == threshold
    right = client.post("/api/v1/auth/login",
                        json={"email": committed.email, "password": PASSWORD})
    assert right.status_code == 423 and "locked" in right.json()["detail"]
