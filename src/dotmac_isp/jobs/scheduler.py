"""The in-process scheduler for a single machine: runs each periodic job on its interval, each
in a thread of its own (up to settings.jobs.concurrency at once), so a slow job (a CoA to a
dead NAS, a long billing run) delays no other. A job never overlaps itself: a run that comes
due while the last one still runs waits for it. With several processes (each `serve` runs
a scheduler), a periodic run is skipped when another process ran the job within its
interval, so the job runs once per interval among them. With a broker (DOTMAC_BROKER_URL), Celery
beat and workers run the same jobs instead and `serve` starts no scheduler."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from datetime import timedelta

from dotmac_isp.config import Settings
from dotmac_isp.jobs import execution, registry
from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.observability import tracing
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.types import utcnow

log = logging.getLogger(__name__)
_active: list[Scheduler] = []  # the running scheduler of this process, if any


def active() -> Scheduler | None:
    """This process's running scheduler (None in a Celery worker, the CLI or a test)."""
    return _active[0] if _active else None


HELD_RETRY_SECONDS = (1.0, 2.0, 4.0, 8.0)


class Scheduler:
    def __init__(self, database: Database, settings: Settings, *, tick: float = 1.0,
                 concurrency: int | None = None, only: Iterable[str] | None = None):
        self.database = database
        self.only = frozenset(only) if only is not None else None  # None: every job
        self.settings = settings
        self.tick = tick
        self.concurrency = concurrency or settings.jobs.concurrency
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._next_run: dict[str, float] = {}
        self._running: dict[str, threading.Thread] = {}
        self._requested: set[str] = set()
        self._held_retries: dict[str, int] = {}

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="dotmac-scheduler", daemon=True)
        self._thread.start()
        _active[:] = [self]

    def stop(self, timeout: float = 10.0) -> list[str]:
        """Start nothing more and wait up to `timeout` for running jobs; returns the jobs
        still running then (their leases expire by themselves)."""
        if self in _active:
            _active.remove(self)
        deadline = time.monotonic() + timeout
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        with self._lock:
            running = list(self._running.values())
        for thread in running:
            thread.join(max(0.0, deadline - time.monotonic()))
        left = sorted(self.running())
        if left:
            log.warning("scheduler stopped with jobs still running", extra={"jobs": left})
        return left

    def run_soon(self, name: str) -> None:
        """Run the job at once (after the running one, if it runs now)."""
        registry.get(name)
        with self._lock:
            self._requested.add(name)
        self._wake.set()

    def running(self) -> set[str]:
        with self._lock:
            return set(self._running)

    def run_due(self) -> list[str]:
        """Start every job whose time has come, or that was asked for, and is not running,
        while there is room; returns the names started."""
        if self._stop.is_set():
            return []
        now = time.monotonic()
        due: list[tuple[float, str, str]] = []
        with self._lock:
            requested, self._requested = self._requested, set()
            for spec in registry.all_jobs():
                if self.only is not None and spec.name not in self.only:
                    continue
                if spec.name in requested:
                    due.append((float("-inf"), spec.name, "dispatch"))
                elif spec.every is not None:
                    at = self._next_run.setdefault(spec.name, now)
                    if at <= now:
                        due.append((at, spec.name, "schedule"))
            started = []
            for _at, name, trigger in sorted(due):
                if name in self._running or len(self._running) >= self.concurrency:
                    if trigger == "dispatch":
                        self._requested.add(name)  # after the current run, or when room
                    continue
                spec = registry.get(name)
                if spec.every is not None:
                    self._next_run[name] = now + spec.every / timedelta(seconds=1)
                thread = threading.Thread(target=self._run_thread, args=(name, trigger),
                                          name=f"job-{name}", daemon=True)
                self._running[name] = thread
                started.append(name)
                thread.start()
        return started

    def run_one(self, name: str, trigger: str = "schedule") -> str | None:
        """Run one job in this thread; its summary, or None when it failed."""
        ctx = JobContext(self.database, self.settings, utcnow())
        # a periodic run is skipped if another process's scheduler has just run the job
        once_per = registry.get(name).every if trigger == "schedule" else None
        try:
            with tracing.job_span(name):  # the job's SQL and CoA spans form one trace
                result = execution.run_job(name, ctx, trigger=trigger, once_per=once_per)
            if trigger == "dispatch":
                self._retry_if_held(name, result.status)
            return result.summary
        except execution.JobFailed:
            return None  # logged and recorded by run_job
        except Exception:  # the run record itself could not be written
            log.exception("job could not be run", extra={"job": name})
            return None

    def _retry_if_held(self, name: str, status: str) -> None:
        """A job asked for after a commit found another process running it: that run may
        have claimed its work before the commit, so ask again shortly (1, 2, 4, 8 s) rather
        than leave the new work to the job's next interval."""
        with self._lock:
            if status != "skipped":
                self._held_retries.pop(name, None)
                return
            tries = self._held_retries.get(name, 0)
            if tries >= len(HELD_RETRY_SECONDS) or self._stop.is_set():
                self._held_retries.pop(name, None)
                return
            self._held_retries[name] = tries + 1
        timer = threading.Timer(HELD_RETRY_SECONDS[tries], self.run_soon, args=(name,))
        timer.daemon = True
        timer.start()

    def _run_thread(self, name: str, trigger: str) -> None:
        try:
            self.run_one(name, trigger)
        finally:
            with self._lock:
                self._running.pop(name, None)
            self._wake.set()  # room for a waiting job, or a rerun that was asked for

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # a wake from here on ends the next wait at once
            try:
                self.run_due()
            except Exception:
                log.exception("scheduler tick failed")
            self._wake.wait(self.tick)
