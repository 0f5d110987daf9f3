"""Engine, sessions and the declarative base with the standard columns."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ForeignKey, MetaData, Uuid, create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    declared_attr,
    mapped_column,
    sessionmaker,
)

from dotmac_isp.shared.types import UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UUIDPrimaryKey:
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False
    )


class TenantOwned:
    """Rows that belong to one tenant (one ISP); every read filters on tenant_id."""

    @declared_attr
    def tenant_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(
            Uuid, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False, index=True
        )


class Audited:
    """Changes to these rows are written to the audit log; listed fields are never recorded."""

    __audit_exclude__: frozenset[str] = frozenset()


# How SQLite makes a commit durable, for every connection to the database. FULL: under WAL
# the log is fsynced before COMMIT returns, so whatever the platform has acknowledged (an
# Accounting-Response, a payment taken, an invoice issued) survives a power loss and not only
# a killed process. NORMAL syncs at checkpoints only and a power loss may take the last
# commits with it. FULL for the whole database rather than the accounting writes alone: every
# acknowledged commit makes that promise, and the RADIUS server commits accounting in batches,
# so it pays one fsync per batch, not per packet. `?synchronous=NORMAL` on the database URL
# trades this for speed where a lost second of writes is acceptable (bench/radius.py measures
# the difference).
SQLITE_SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")
DEFAULT_SQLITE_SYNCHRONOUS = "FULL"


def _sqlite_on_connect(synchronous: str) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself: pysqlite's own transaction handling breaks
        # SAVEPOINT.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    return on_connect


def _sqlite_synchronous(url: URL) -> tuple[URL, str]:
    """The URL without its synchronous= parameter (not one pysqlite knows), and its value."""
    given = url.query.get("synchronous", DEFAULT_SQLITE_SYNCHRONOUS)
    value = (given[-1] if isinstance(given, tuple) else given).upper()
    if value not in SQLITE_SYNCHRONOUS:
        raise ValueError(f"synchronous={value} in the database URL: use one of "
                         f"{', '.join(SQLITE_SYNCHRONOUS)}")
    return url.difference_update_query(["synchronous"]), value


def _sqlite_on_begin(conn: Any) -> None:
    # Writers take the lock at BEGIN so two read-then-write transactions cannot both pass a
    # check and then both write; plain reads stay deferred and run beside a writer under WAL.
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine; SQLite gets WAL, durable commits, foreign keys and real
    transactions."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        parsed, synchronous = _sqlite_synchronous(parsed)
        engine = create_engine(parsed, echo=echo, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_on_connect(synchronous))
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    if parsed.drivername in ("postgresql", "postgres"):
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)


def writer_bind(engine: Engine) -> Engine:
    """The same engine, but SQLite transactions take the write lock at BEGIN."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(sqlite_begin="IMMEDIATE")
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


AfterCommit = Callable[[], None]


def after_commit(session: Session, callback: AfterCommit) -> None:
    """Queue work (a CoA, an email) to run only once this session's transaction commits."""
    session.info.setdefault("after_commit", []).append(callback)


def run_after_commit(session: Session) -> None:
    callbacks: list[AfterCommit] = session.info.pop("after_commit", [])
    for callback in callbacks:
        callback()


@contextmanager
def unit_of_work(factory: sessionmaker[Session], *, write: bool = True) -> Iterator[Session]:
    """One transaction: commit at the end, roll back on any error, then run after-commit work."""
    session = factory()
    if write and isinstance(session.bind, Engine):
        session.bind = writer_bind(session.bind)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        session.info.pop("after_commit", None)
        raise
    finally:
        session.close()
    run_after_commit(session)


class Database:
    """An engine and the session factory bound to it."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.factory = make_sessionmaker(engine)

    @classmethod
    def from_url(cls, url: str, *, echo: bool = False) -> Database:
        return cls(make_engine(url, echo=echo))

    def unit_of_work(self, *, write: bool = True) -> Any:
        return unit_of_work(self.factory, write=write)

    def dispose(self) -> None:
        self.engine.dispose()
