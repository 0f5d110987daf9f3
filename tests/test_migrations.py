"""Alembic is the only way the schema is made: models and migrations agree on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import Engine

from dotmac_isp import db_migrate
from dotmac_isp.models_registry import metadata
from dotmac_isp.shared.trigram import exists_on


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "compare_type": True, "compare_server_default": True,
            "include_object": lambda obj, *_: exists_on(obj, conn.dialect.name)})
        diff = compare_metadata(context, metadata)
    assert diff == []


def test_single_head() -> None:
    assert len(db_migrate.current_heads()) == 1


def test_downgrade_to_base_and_back(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    db_migrate.upgrade(url)
    db_migrate.downgrade(url, revision="base")
    engine: Engine = create_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    db_migrate.upgrade(url)
    assert "users" in inspect(engine).get_table_names()
    engine.dispose()
