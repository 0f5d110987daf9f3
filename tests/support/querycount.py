"""Count the SQL statements a block of code sends: the guard that a loop over rows does not
query once per row (the count stays the same at 10 and at 100 rows)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


@dataclass
class StatementCount:
    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)

    @property
    def total(self) -> int:
        return self.count

    def __int__(self) -> int:
        return self.count


@contextmanager
def count_statements(engine: Engine, *, ignore_savepoints: bool = True) -> Iterator[StatementCount]:
    """Statements sent through the engine inside the block (SAVEPOINT bookkeeping left out,
    it depends on how a test nests its transactions, not on the code under test)."""
    counter = StatementCount()

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if ignore_savepoints and statement.lstrip().upper().startswith(
                ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
            return
        counter.statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", before)
