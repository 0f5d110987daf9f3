"""The post-auth log writer: outcomes are buffered and inserted in batches off the event
loop, so logging never delays an answer. Under a database outage the buffer is capped and
the overflow counted, rather than growing without bound."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from sqlalchemy import insert

from dotmac_isp.modules.network.radius.models import RadPostAuth
from dotmac_isp.sdks.services import metrics
from dotmac_isp.shared.db import Database

log = logging.getLogger(__name__)
DROPPED = metrics.counter("radius_postauth_dropped_total",
                          "Post-auth log rows dropped because the buffer was full")
FLUSH_SECONDS = 0.2
_COLUMNS = [c.name for c in RadPostAuth.__table__.columns if c.name != "id"]
_COPY = f"COPY radpostauth ({', '.join(_COLUMNS)}) FROM STDIN"
BUFFER_LIMIT = 100_000


# NUL cannot be in PostgreSQL text at all (a User-Name may carry one): U+FFFD instead.
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r",
                          "\x00": "\ufffd"})


def copy_line(values: list[Any]) -> str:
    """One row in COPY's text format (None is NULL); cheaper than psycopg's write_row."""
    return "\t".join("\\N" if v is None else (v.isoformat() if isinstance(v, datetime)
                                                else str(v).translate(_ESCAPES))
                     for v in values) + "\n"


class PostAuthLog:
    def __init__(self, database: Database, *, enabled: bool = True):
        self.database = database
        self.enabled = enabled
        self._rows: list[dict[str, Any]] = []
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="radius-postauth")

    def add(self, row: dict[str, Any]) -> None:
        if not self.enabled:
            return
        if len(self._rows) >= BUFFER_LIMIT:
            DROPPED.inc()
            return
        self._rows.append(row)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            await self.flush()

    async def flush(self) -> None:
        rows, self._rows = self._rows, []
        if not rows:
            return
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._executor, self._insert, rows)
        except Exception:
            log.exception("post-auth log write failed", extra={"rows": len(rows)})
            DROPPED.inc(len(rows))

    def _insert(self, rows: list[dict[str, Any]]) -> None:
        with self.database.unit_of_work() as session:
            conn = session.connection()
            if conn.dialect.name != "postgresql":
                session.execute(insert(RadPostAuth), rows)
                return
            # COPY: the rows go in without Python-level parameter processing, which would
            # hold the interpreter lock long enough to delay answers on the event loop
            raw = conn.connection.driver_connection
            with raw.cursor() as cursor, cursor.copy(_COPY) as copy:
                copy.write("".join(copy_line([row.get(n) for n in _COLUMNS]) for row in rows))
