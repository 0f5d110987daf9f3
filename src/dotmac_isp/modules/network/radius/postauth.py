"""The post-auth log writer: outcomes are buffered and inserted in batches off the event
loop, so logging never delays an answer. Under a database outage the buffer is capped and
the overflow counted, rather than growing without bound."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import insert

from dotmac_isp.modules.network.radius.models import RadPostAuth
from dotmac_isp.sdks.services import metrics
from dotmac_isp.shared.db import Database

log = logging.getLogger(__name__)
DROPPED = metrics.counter("radius_postauth_dropped_total",
                          "Post-auth log rows dropped because the buffer was full")
FLUSH_SECONDS = 0.5
BUFFER_LIMIT = 100_000


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
            session.execute(insert(RadPostAuth), rows)
