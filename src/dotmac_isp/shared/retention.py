"""Deleting old rows a batch at a time, each batch in its own transaction: no lock is held
for long, and the backlog of a table never pruned before drains a batch after another."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, Uuid, column, delete, select, table, tuple_

_tenants = table("tenants", column("id", Uuid))
DEFAULT_BATCH = 5000


def delete_in_batches(database: Any, model: Any, condition: ColumnElement[bool], *,
                      batch_size: int = DEFAULT_BATCH) -> int:
    """Delete the model's rows matching the condition; returns how many went."""
    table_ = model.__table__
    key = list(table_.primary_key.columns)
    target: Any = key[0] if len(key) == 1 else tuple_(*key)
    chosen = select(*key).where(condition).limit(batch_size)
    total = 0
    while True:
        with database.unit_of_work() as session:
            result: Any = session.connection().execute(
                delete(table_).where(target.in_(chosen)))
        deleted = max(0, result.rowcount or 0)
        total += deleted
        if deleted < batch_size:
            return total


def tenant_ids(database: Any) -> list[uuid.UUID]:
    """Every tenant, active or not: retention applies to all of them."""
    with database.unit_of_work(write=False) as session:
        return list(session.scalars(select(_tenants.c.id)))
