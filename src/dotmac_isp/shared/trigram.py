"""Trigram indexes: what makes `ILIKE '%text%'` searches fast on PostgreSQL.

A pg_trgm GIN index serves LIKE/ILIKE with a leading wildcard (and equality). SQLite has no
such index; its searches scan, which is fine at the size a single machine holds. The models
declare these indexes so a reader sees them; the migration creates them on PostgreSQL only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Index

POSTGRESQL_ONLY = "postgresql_only"


def trigram_index(name: str, column: str) -> Index:
    return Index(
        name,
        column,
        postgresql_using="gin",
        postgresql_ops={column: "gin_trgm_ops"},
        info={POSTGRESQL_ONLY: True},
    )


def exists_on(obj: Any, dialect_name: str) -> bool:
    """False for a PostgreSQL-only index on another database (for schema comparison)."""
    return dialect_name == "postgresql" or not getattr(obj, "info", {}).get(POSTGRESQL_ONLY)
