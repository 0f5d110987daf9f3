"""Test fixtures: both databases, a transaction rolled back after each test, the app, users.

Every test that touches the database runs once on SQLite and once on PostgreSQL. Set
DOTMAC_TEST_DATABASES=sqlite (or postgresql) to run one of them only.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from dotmac_isp import db_migrate, wiring
from dotmac_isp.config import Settings
from dotmac_isp.main import create_app
from dotmac_isp.modules.identity import security
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.shared.db import make_engine, unit_of_work
from tests.support import demo_db
from tests.support.factories import StaffUser, make_tenant, make_user
from tests.support.postgres import postgres_server, scratch_database
from tests.support.querycount import count_statements

# argon2id with the library's defaults costs about 0.1-0.2 s a hash here; hundreds of tests
# create and sign in users, so the suite uses the same algorithm with cheap parameters.
security.use_hasher(PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))

BACKENDS = [b.strip() for b in os.environ.get("DOTMAC_TEST_DATABASES",
                                              "sqlite,postgresql").split(",") if b.strip()]
_skipped_backends: dict[str, str] = {}


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [f"databases: {', '.join(BACKENDS)}"]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for backend, reason in _skipped_backends.items():
        terminalreporter.write_line(f"SKIPPED backend {backend}: {reason}", yellow=True)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if not os.environ.get("PYTEST_XDIST_WORKER"):  # the controller, or a run without xdist
        demo_db.drop_templates(demo_db.shared_dir(
            session.config._tmp_path_factory.getbasetemp()))  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(environment="test", log_json=True, log_level="WARNING",
                    secret_key="test-secret-key-for-the-suite-0123456789")  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def _postgres() -> Iterator[Any]:
    with postgres_server() as (server, reason):
        if server is None:
            _skipped_backends["postgresql"] = reason
        yield server, reason


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                 _postgres: Any) -> Iterator[str]:
    """A migrated, empty database of each backend, shared by the whole run."""
    backend = request.param
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
        db_migrate.upgrade(url)
        yield url
        return
    server, reason = _postgres
    if server is None:
        pytest.skip(f"PostgreSQL unavailable: {reason}")
    with scratch_database(server) as url:
        db_migrate.upgrade(url)
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    wiring.install()
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def demo_sqlite_file(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's seeded SQLite demo database; copy it (live_server(demo_file=...)), never
    open it in place."""
    return demo_db.sqlite_demo_file(demo_db.shared_dir(tmp_path_factory.getbasetemp()),
                                    settings)


@pytest.fixture(scope="session")
def demo_engine(engine: Engine, settings: Settings, _postgres: Any,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """This process's copy of the run's demo ISP (seeded once per run and backend), on the
    same backend as `engine`; tests see it through `demo_db`, rolled back after each."""
    shared = demo_db.shared_dir(tmp_path_factory.getbasetemp())
    if engine.dialect.name == "sqlite":
        url = demo_db.copy_sqlite_demo(shared, settings,
                                       tmp_path_factory.mktemp("demo") / "demo.db")
        demo = make_engine(url)
        yield demo
        demo.dispose()
        return
    with demo_db.postgres_demo_copy(shared, _postgres[0], settings) as url:
        demo = make_engine(url)
        yield demo
        demo.dispose()


@pytest.fixture
def demo_database(demo_engine: Engine) -> Iterator[RollbackDatabase]:
    with rolled_back(demo_engine) as database:
        yield database


@pytest.fixture
def demo_session(demo_database: RollbackDatabase) -> Iterator[Session]:
    """A session on the seeded demo ISP; whatever the test writes is rolled back."""
    s = demo_database.factory()
    yield s
    s.close()


@pytest.fixture
def demo_client(settings: Settings, demo_database: RollbackDatabase) -> Iterator[TestClient]:
    app = create_app(settings, demo_database, configure_logs=False)  # type: ignore[arg-type]
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def backend(engine: Engine) -> str:
    return engine.dialect.name


class RollbackDatabase:
    """The app's Database, but every session joins one outer transaction that is rolled back."""

    def __init__(self, engine: Engine, connection: Connection):
        self.engine = engine
        self.factory = sessionmaker(bind=connection, expire_on_commit=False,
                                    join_transaction_mode="create_savepoint")

    def unit_of_work(self, *, write: bool = True) -> Any:
        return unit_of_work(self.factory, write=write)

    def dispose(self) -> None:
        pass


@contextmanager
def rolled_back(engine: Engine) -> Iterator[RollbackDatabase]:
    """A Database whose every session joins one transaction, rolled back at the end."""
    connection = engine.connect()
    outer = connection.begin()
    try:
        yield RollbackDatabase(engine, connection)
    finally:
        outer.rollback()
        connection.close()


@pytest.fixture
def db(engine: Engine) -> Iterator[RollbackDatabase]:
    with rolled_back(engine) as database:
        yield database


@pytest.fixture
def session(db: RollbackDatabase) -> Iterator[Session]:
    s = db.factory()
    yield s
    s.close()


@pytest.fixture
def app(settings: Settings, db: RollbackDatabase) -> FastAPI:
    return create_app(settings, db, configure_logs=False)  # type: ignore[arg-type]


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def tenant(session: Session) -> Tenant:
    return make_tenant(session, "tenant-a", name="Tenant A Fibre")


@pytest.fixture
def other_tenant(session: Session) -> Tenant:
    return make_tenant(session, "tenant-b", name="Tenant B Wireless")


@pytest.fixture
def admin(session: Session, settings: Settings, tenant: Tenant) -> StaffUser:
    return make_user(session, settings, tenant, "admin", email="admin@tenant-a.example")


@pytest.fixture
def other_admin(session: Session, settings: Settings, other_tenant: Tenant) -> StaffUser:
    return make_user(session, settings, other_tenant, "admin", email="admin@tenant-b.example")


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement the engine sends while the test runs, in order."""
    with count_statements(engine, ignore_savepoints=False) as counted:
        yield counted.statements
