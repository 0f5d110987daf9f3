"""Many rows into one table in one go: COPY on PostgreSQL (about three times faster than an
executemany of INSERTs at a billing run's volume), the ORM's bulk INSERT elsewhere.

Rows are dicts keyed by column name, as for `session.execute(insert(Model), rows)`. Columns a
row leaves out get the column's Python-side default (ids, timestamps, scalars), and every
value goes through its column type's bind conversion, so what is stored is what the ORM's
bulk INSERT would have stored. Like that INSERT, no ORM flush events run: callers record
their audit rows themselves (identity.audit.record_bulk).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Column, Table, insert
from sqlalchemy.orm import Session


def insert_rows(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """Insert the rows into the model's table, in the session's transaction."""
    if not rows:
        return
    table: Table = model.__table__
    connection = session.connection()
    dialect = connection.dialect
    given: set[str] = set().union(*rows)
    columns = [c for c in table.columns if c.key in given or _python_default(c) is not None]
    if dialect.name != "postgresql" or any(
            c.key not in row and _python_default(c) is None for row in rows for c in columns):
        session.execute(insert(model), rows)
        return
    fill = {c.key: _python_default(c) for c in columns}
    convert = {c.key: c.type._cached_bind_processor(dialect) for c in columns}
    names = ", ".join(dialect.identifier_preparer.quote(c.name) for c in columns)
    raw = connection.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(
            f"COPY {dialect.identifier_preparer.format_table(table)} ({names}) FROM STDIN"
    ) as copy:
        for row in rows:
            values = []
            for column in columns:
                key = column.key
                value = row[key] if key in row else fill[key]()  # type: ignore[misc]
                processor = convert[key]
                values.append(processor(value) if processor is not None else value)
            copy.write_row(values)


def _python_default(column: Column[Any]) -> Callable[[], Any] | None:
    default = column.default
    if default is None:
        return None
    if default.is_scalar:
        value = default.arg  # type: ignore[attr-defined]
        return lambda: value
    if default.is_callable:
        function = default.arg  # type: ignore[attr-defined]
        return lambda: function(None)
    return None
