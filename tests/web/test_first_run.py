"""First run: on a database with no tenant the setup page replaces the sign-in; it creates the
ISP, its tax rate and the first administrator in one transaction, and only once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from dotmac_isp import db_migrate, wiring
from dotmac_isp.config import Settings
from dotmac_isp.main import create_app
from dotmac_isp.modules.billing.models import BillingSettings, TaxRate
from dotmac_isp.modules.identity.models import Tenant, User
from dotmac_isp.shared.db import Database
from tests.support.postgres import scratch_database
from tests.web.test_admin_pages import csrf_of, sign_in

GOOD = {"isp_name": "Lagos Fibre Co", "currency": "ngn", "timezone": "Africa/Lagos",
        "tax_rate": "7.5", "email": "owner@lagosfibre.example", "full_name": "Olu Owner",
        "password": "first-admin-pass", "password_confirm": "first-admin-pass"}


@pytest.fixture
def empty_db(database_url: str, tmp_path: Path, _postgres: Any) -> Iterator[Database]:
    """A migrated database of the test's backend with nothing in it (committed data)."""
    wiring.install()
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'empty.db'}"
        db_migrate.upgrade(url)
        database = Database.from_url(url)
        yield database
        database.dispose()
        return
    server, _reason = _postgres
    with scratch_database(server) as url:
        db_migrate.upgrade(url)
        database = Database.from_url(url)
        yield database
        database.dispose()


@pytest.fixture
def fresh_client(settings: Settings, empty_db: Database) -> Iterator[TestClient]:
    app = create_app(settings, empty_db, configure_logs=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _count(database: Database, column: Any) -> int:
    with database.unit_of_work(write=False) as session:
        return int(session.scalar(select(func.count(column))) or 0)


def test_setup_replaces_sign_in_then_is_gone(fresh_client: TestClient,
                                             empty_db: Database) -> None:
    client = fresh_client
    assert client.get("/", follow_redirects=False).headers["location"] == "/admin/setup"
    assert client.get("/admin", follow_redirects=False).headers["location"].startswith(
        "/admin/setup")
    page = client.get("/admin/login")
    assert page.url.path == "/admin/setup" and "Set up your ISP" in page.text
    token = csrf_of(page.text)
    bad = client.post("/admin/setup", data={
        "csrf_token": token, "isp_name": " ", "currency": "dollars", "timezone": "Mars/Base",
        "tax_rate": "abc", "email": "nobody", "password": "short", "password_confirm": "short"})
    assert bad.status_code == 422
    for field in ("ISP name:", "Currency:", "Time zone:", "Tax rate:", "Email:", "Password:"):
        assert field in bad.text, field  # every problem at once, each with its field
    assert 'value="dollars"' in bad.text and "short" not in bad.text.split("form-errors")[0]
    assert _count(empty_db, Tenant.id) == 0
    forged = client.post("/admin/setup", data={**GOOD, "csrf_token": "forged"})
    assert forged.status_code == 403 and _count(empty_db, Tenant.id) == 0

    done = client.post("/admin/setup", data={**GOOD, "csrf_token": token},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/admin/login"
    login = client.get("/admin/login")
    assert "Lagos Fibre Co is set up. Sign in as owner@lagosfibre.example" in login.text
    with empty_db.unit_of_work(write=False) as session:
        tenant = session.scalars(select(Tenant)).one()
        assert (tenant.name, tenant.slug, tenant.currency, tenant.timezone) == (
            "Lagos Fibre Co", "lagos-fibre-co", "NGN", "Africa/Lagos")
        user = session.scalars(select(User)).one()
        assert user.role.name == "admin" and user.tenant_id == tenant.id
        rate = session.scalars(select(TaxRate)).one()
        assert rate.rate == Decimal("7.5") and rate.tenant_id == tenant.id
        billing = session.get(BillingSettings, tenant.id)
        assert billing is not None and billing.default_tax_rate_ids == [str(rate.id)]

    assert client.get("/admin/setup").status_code == 404  # gone for good
    again = client.post("/admin/setup", data={**GOOD, "isp_name": "Second ISP",
                                              "email": "other@x.example",
                                              "csrf_token": csrf_of(login.text)})
    assert again.status_code == 409 and "already set up" in again.text
    assert _count(empty_db, Tenant.id) == 1 and _count(empty_db, User.id) == 1
    assert client.get("/", follow_redirects=False).headers["location"] == "/admin"
    assert sign_in(client, GOOD["email"], GOOD["password"]).status_code == 303
    assert 'data-testid="signed-in-as">owner@lagosfibre.example' in client.get("/admin").text


def test_two_setups_at_once_make_one_isp(settings: Settings, empty_db: Database) -> None:
    app = create_app(settings, empty_db, configure_logs=False)
    clients = [TestClient(app, raise_server_exceptions=False) for _ in range(2)]
    tokens = [csrf_of(c.get("/admin/setup").text) for c in clients]
    start = threading.Barrier(2, timeout=30)
    statuses: list[int] = []

    def submit(i: int) -> None:
        start.wait()
        response = clients[i].post("/admin/setup", follow_redirects=False, data={
            **GOOD, "isp_name": f"ISP {i}", "email": f"owner{i}@isp.example",
            "csrf_token": tokens[i]})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for c in clients:
        c.close()
    assert sorted(statuses) == [303, 409]
    assert _count(empty_db, Tenant.id) == 1 and _count(empty_db, User.id) == 1
