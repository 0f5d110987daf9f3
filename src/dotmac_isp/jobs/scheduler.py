"""The in-process scheduler for a single machine: runs each periodic job on its interval in a
background thread. With Celery beat in a cluster, the same jobs run there instead."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from dotmac_isp.config import Settings
from dotmac_isp.jobs import history, registry
from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.sdks.services import metrics
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.types import utcnow

log = logging.getLogger(__name__)
RUNS = metrics.counter("job_runs_total", "Scheduled job runs by outcome", ["job", "outcome"])
DURATION = metrics.histogram("job_duration_seconds", "Scheduled job run time", ["job"],
                             buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300))


class Scheduler:
    def __init__(self, database: Database, settings: Settings, *, tick: float = 1.0):
        self.database = database
        self.settings = settings
        self.tick = tick
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_run: dict[str, float] = {}

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="dotmac-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run_due(self) -> list[str]:
        """Run every periodic job whose time has come; returns the names run."""
        ran = []
        now = time.monotonic()
        for spec in registry.all_jobs():
            if spec.every is None:
                continue
            due = self._next_run.setdefault(spec.name, now)
            if now < due:
                continue
            self._next_run[spec.name] = now + spec.every / timedelta(seconds=1)
            self.run_one(spec.name)
            ran.append(spec.name)
        return ran

    def run_one(self, name: str) -> str | None:
        started = time.perf_counter()
        try:
            summary = history.run_recorded(name, JobContext(self.database, self.settings,
                                                            utcnow()))
        except Exception:
            RUNS.labels(name, "error").inc()
            log.exception("job failed", extra={"job": name})
            return None
        finally:
            DURATION.labels(name).observe(time.perf_counter() - started)
        RUNS.labels(name, "ok").inc()
        log.info("job ran", extra={"job": name, "summary": summary})
        return summary

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_due()
            self._stop.wait(self.tick)
