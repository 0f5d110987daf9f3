"""Many wrong portal passwords at the same moment: the lockout engages at the threshold, as for
staff logins. Committed data, real threads, both databases."""

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
from dotmac_isp.modules.customers import portal, schemas
from dotmac_isp.modules.customers.models import Customer, PortalAccount
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.shared.db import Database
from tests.support.customers import make_customer
from tests.support.factories import make_tenant
from tests.support.parallel import at_once
from tests.web.test_admin_pages import csrf_of

ATTEMPTS = 30
PASSWORD = "portal-race-pass-1"


@dataclass
class Committed:
    database: Database
    tenant_id: uuid.UUID
    slug: str
    login: str


@pytest.fixture
def committed(engine: Engine, settings: Settings) -> Iterator[Committed]:
    database = Database(engine)
    with database.unit_of_work() as session:
        tenant = make_tenant(session, f"plock-{uuid.uuid4().hex[:8]}")
        customer = make_customer(session, tenant, email=None)
        account, _ = portal.create_account(session, settings, tenant.id, customer.id,
                                           schemas.PortalAccountCreate(login="race@home.example",
                                                                       password=PASSWORD))
        made = Committed(database, tenant.id, tenant.slug, account.login)
    yield made
    with database.unit_of_work() as session:
        session.execute(delete(PortalAccount).where(PortalAccount.tenant_id == made.tenant_id))
        session.execute(delete(Customer).where(Customer.tenant_id == made.tenant_id))
        session.execute(delete(Tenant).where(Tenant.id == made.tenant_id))


def test_parallel_wrong_portal_passwords_lock_the_login_at_the_threshold(
        committed: Committed, settings: Settings) -> None:
    app = create_app(settings, committed.database, configure_logs=False)
    client = TestClient(app, raise_server_exceptions=False)
    url = f"/portal/{committed.slug}/login"
    token = csrf_of(client.get(url).text)
    statuses = at_once(ATTEMPTS, lambda n: client.post(url, data={
        "csrf_token": token, "login": committed.login,
        "password": f"wrong-password-{n}"}).status_code)
    assert len(statuses) == ATTEMPTS
    assert sorted(set(statuses)) == [401, 423]
    assert statuses.count(401) == settings.auth.lockout_threshold
    right = client.post(url, data={"csrf_token": token, "login": committed.login,
                                   "password": PASSWORD})
    assert right.status_code == 423 and "locked" in right.text
