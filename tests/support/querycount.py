"""Count the SQL statements an engine runs inside a block.

    with count_statements(engine) as counted:
        do_work()
    assert counted.total == 12
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


@dataclass
class Counted:
    total: int = 0
    statements: list[str] = field(default_factory=list)


@contextmanager
def count_statements(engine: Engine) -> Iterator[Counted]:
    counted = Counted()

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        counted.total += 1
        counted.statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield counted
    finally:
        event.remove(engine, "before_cursor_execute", before)
