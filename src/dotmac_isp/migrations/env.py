"""Alembic environment: runs on a connection handed in by dotmac_isp.db_migrate, or a URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from dotmac_isp.models_registry import metadata
from dotmac_isp.shared.db import make_engine

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # A batch migration copies a table, drops the old one and renames the copy; with
            # key checks on, dropping a table other rows point at fails (or leaves the
            # transaction unable to commit). SQLite takes this switch only outside a
            # transaction, so it is set before the first BEGIN; the keys are checked below.
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        _run(conn)
        if sqlite:
            broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                conn.rollback()
                raise RuntimeError(f"the migration left rows pointing at nothing: {broken[:5]}")
        conn.commit()
    engine.dispose()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=True,
        user_module_prefix="dotmac_isp.shared.types.",
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run dotmac-isp db upgrade")
run_migrations_online()
