"""Index builds that do not stop writes on a live PostgreSQL database.

A plain CREATE INDEX locks the table against writes for the whole build: on radacct with
millions of rows, an upgrade would hold RADIUS accounting up for minutes. On PostgreSQL these
helpers build (and drop) CONCURRENTLY, outside the migration's transaction; an index left
INVALID by an interrupted build is dropped and built again. Elsewhere they are the plain
operations.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from alembic import op
from sqlalchemy import text


def _postgres() -> bool:
    return bool(op.get_bind().dialect.name == "postgresql")


def _invalid(name: str) -> bool:
    return bool(op.get_bind().execute(text(
        "SELECT NOT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE c.relname = :name"), {"name": name}).scalar())


def create_index(name: str, table: str, columns: Sequence[Any], **options: Any) -> None:
    """Columns are names, or text() for an expression."""
    if not _postgres():
        op.create_index(name, table, list(columns), **options)
        return
    with op.get_context().autocommit_block():
        if _invalid(name):
            op.drop_index(name, table_name=table, postgresql_concurrently=True)
        op.create_index(name, table, list(columns), postgresql_concurrently=True,
                        if_not_exists=True, **options)


def drop_index(name: str, table: str) -> None:
    if not _postgres():
        op.drop_index(name, table_name=table)
        return
    with op.get_context().autocommit_block():
        op.drop_index(name, table_name=table, postgresql_concurrently=True, if_exists=True)
