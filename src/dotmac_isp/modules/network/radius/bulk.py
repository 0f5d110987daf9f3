"""Bulk upserts for the jobs that write thousands of rows a cycle.

PostgreSQL: the rows are COPYed into a temporary staging table and merged with one
INSERT ... SELECT ... ON CONFLICT, as the accounting writer does: one round trip for the data
and one statement, instead of a statement per row. SQLite: one executemany (in-process, no
round trips to save).
"""

from __future__ import annotations

import zlib
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Table, any_, bindparam
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

_CHUNK = 5000  # values per IN list on SQLite (its limit is 32,766 parameters)


def upsert(session: Session, table: Table, rows: Sequence[dict[str, Any]],
           key: Sequence[str], update: Sequence[str]) -> None:
    """Insert the rows (each with the same keys), or update the `update` columns of the row
    already stored under `key`. The rows must have distinct keys; PostgreSQL writes them in
    key order, so two concurrent writers lock rows in the same order."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        stmt = sqlite_insert(table)
        session.execute(stmt.on_conflict_do_update(
            index_elements=list(key), set_={c: stmt.excluded[c] for c in update}), rows)
        return
    columns = list(rows[0])
    names = ", ".join(columns)
    # one staging table per table and column list
    stage = f"{table.name}_stage_{zlib.crc32(names.encode()):08x}"
    conn = session.connection()
    # created once per connection; ON COMMIT DELETE ROWS empties it at each commit, and the
    # DELETE empties it for a second use in the same transaction
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS "
                         f"AS SELECT {names} FROM {table.name} WITH NO DATA")
    conn.exec_driver_sql(f"DELETE FROM {stage}")
    raw: Any = conn.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {stage} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in update)
    conn.exec_driver_sql(
        f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {stage} ORDER BY "
        f"{', '.join(key)} ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}")


def among(session: Session, column: Any, ids: Collection[Any]) -> list[ColumnElement[bool]]:
    """Conditions `column IN ids`, one per statement to send. PostgreSQL: a single array
    parameter (= ANY), whatever the count; SQLite: IN lists of at most _CHUNK values."""
    values = sorted(ids)
    if not values:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return [column == any_(bindparam(None, values, type_=ARRAY(column.type)))]
    return [column.in_(values[i:i + _CHUNK]) for i in range(0, len(values), _CHUNK)]
