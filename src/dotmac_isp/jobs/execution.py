"""Running one job the way every runner does (the in-process scheduler, a Celery worker, the
CLI): take the job's lease, leave a run row from start to finish with the lines the job
logged, and count it in the metrics. A job whose lease another process holds is skipped:
recorded and logged, not an error."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import timedelta

from dotmac_isp.jobs import leases, records, registry
from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.sdks.services import metrics
from dotmac_isp.shared.types import utcnow

log = logging.getLogger(__name__)
RUNS = metrics.counter("job_runs_total", "Job runs by outcome", ["job", "outcome"])
DURATION = metrics.histogram("job_duration_seconds", "Job run time", ["job"],
                             buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800))
RUNNING = metrics.gauge("jobs_running", "Jobs running in this process", ["job"])
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@dataclass(frozen=True)
class RunResult:
    status: str  # succeeded | partial | failed | skipped
    summary: str
    run_id: uuid.UUID | None = None


class JobFailed(Exception):
    """A job raised; its run row says so. The original exception is the cause."""

    def __init__(self, name: str, result: RunResult):
        super().__init__(f"{name} failed: {result.summary}")
        self.result = result


def run_job(name: str, ctx: JobContext, *, trigger: str = "schedule", attempt: int = 1,
            holder: str | None = None, once_per: timedelta | None = None) -> RunResult:
    """Run a job under its lease and record the run. Raises JobFailed (from the job's own
    exception) when the job raises.

    once_per (the in-process scheduler's periodic runs): skip the run when another process
    ran the job less than this long ago, so several `serve` processes, each with its own
    scheduler, run a periodic job once per interval among them, as a single Celery beat
    does. The check is made under the lease, after the last holder recorded its run."""
    spec = registry.get(name)
    holder = holder or leases.new_holder()
    ttl = timedelta(seconds=ctx.settings.jobs.lease_seconds)
    with leases.held(ctx.database, name, ttl, holder) as lease:
        if lease is None:
            return _skipped(ctx, name, trigger, holder)
        if once_per is not None:
            recent = records.ran_elsewhere(ctx.database, name, leases.process_of(holder),
                                           utcnow() - once_per)
            if recent is not None:
                return _skipped(ctx, name, trigger, holder, ran=recent)
        started_at = utcnow()
        run_id = records.start_run(ctx.database, name, started_at, trigger=trigger,
                                   holder=holder, attempt=attempt)
        clock = time.perf_counter()
        RUNNING.labels(name).inc()
        with _captured_log(ctx.settings.jobs.log_lines) as lines:
            try:
                summary = spec.function(ctx)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                log.exception("job failed", extra={"job": name, "attempt": attempt})
                status = records.finish_run(ctx.database, run_id, name, started_at, "failed",
                                            summary=error, error=error,
                                            lines="\n".join(lines))
                failed = RunResult(status, error, run_id)
                raise JobFailed(name, failed) from exc
            finally:
                RUNNING.labels(name).dec()
                DURATION.labels(name).observe(time.perf_counter() - clock)
        if lease.lost.is_set():
            log.warning("job finished after losing its lease", extra={"job": name})
        status = records.finish_run(ctx.database, run_id, name, started_at, "succeeded",
                                    summary=summary, lines="\n".join(lines))
    RUNS.labels(name, status).inc()
    log.info("job ran", extra={"job": name, "status": status, "summary": summary})
    return RunResult(status, summary, run_id)


def _skipped(ctx: JobContext, name: str, trigger: str, holder: str,
             ran: records.RecentRun | None = None) -> RunResult:
    if ran is not None:
        summary = (f"already run at {ran.started_at:%H:%M:%S} by {ran.holder} (a periodic "
                   "job runs once per interval across processes)")
    else:
        current = leases.current(ctx.database, name)
        held_by = (f"held by {current.holder} until {current.expires_at:%H:%M:%S}"
                   if current is not None else "its lease was just released")
        summary = f"already running ({held_by})"
    records.record_skipped(ctx.database, name, trigger=trigger, holder=holder,
                           summary=summary)
    RUNS.labels(name, "skipped").inc()
    log.info("job skipped: another process runs or has just run it",
             extra={"job": name, "why": summary})
    return RunResult("skipped", summary)


class _ThreadLines(logging.Handler):
    """Keeps the lines logged by one thread (the job's), up to a limit."""

    def __init__(self, limit: int):
        super().__init__(logging.INFO)
        self.thread = threading.get_ident()
        self.limit = limit
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter(LOG_FORMAT))

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self.thread or len(self.lines) >= self.limit:
            return
        with suppress(Exception):  # a record that cannot be formatted fails no job
            self.lines.append(self.format(record))


@contextmanager
def _captured_log(limit: int) -> Iterator[list[str]]:
    if limit <= 0:
        yield []
        return
    handler = _ThreadLines(limit)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)
