"""Celery for a cluster (DOTMAC_BROKER_URL set): one task per registered job, named as the
job, running the same function with the same JobContext, lease and run record as the
in-process scheduler; a beat schedule built from each job's `every`.

    dotmac-isp worker   # runs the tasks
    dotmac-isp beat     # sends each periodic job on its interval

A task whose job raises is retried with exponential backoff up to settings.jobs.max_retries;
each attempt leaves a run row, so a job that keeps failing shows as failed in the history and
at /admin/jobs. Messages are acknowledged after the run (acks_late): a worker that dies
mid-run leaves its message to be redelivered, and the lease keeps the redelivery from
overlapping a run still going elsewhere.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from celery import Celery, Task
from celery.beat import PersistentScheduler, ScheduleEntry
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import (
    worker_init,
    worker_process_init,
    worker_process_shutdown,
    worker_shutdown,
)
from opentelemetry.sdk.trace import TracerProvider

from dotmac_isp import wiring
from dotmac_isp.config import Settings, get_settings
from dotmac_isp.jobs import dispatch, execution, registry, tracing
from dotmac_isp.jobs.registry import JobContext, JobSpec
from dotmac_isp.observability import tracing as observability_tracing
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.types import utcnow

log = logging.getLogger(__name__)
QUEUE = "dotmac-jobs"


@dataclass
class _Worker:
    app: Celery | None = None  # the app this process built (one per process)
    database: Database | None = None
    provider: TracerProvider | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


_worker = _Worker()


def create_celery(settings: Settings) -> Celery:
    """The Celery app for these settings, with a task for every registered job."""
    if not settings.broker_url:
        raise ValueError("DOTMAC_BROKER_URL is not set: jobs run in the `serve` process")
    wiring.install()
    jobs = settings.jobs
    app = Celery("dotmac_isp", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_default_queue=QUEUE,
        task_ignore_result=True,  # outcomes live in job_runs, not a result backend
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # a long job does not sit on messages others could run
        task_soft_time_limit=jobs.soft_time_limit_seconds,
        task_time_limit=jobs.time_limit_seconds,
        # an unacknowledged message is redelivered after this long: longer than any run
        broker_transport_options={"visibility_timeout": jobs.time_limit_seconds + 300},
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        timezone="UTC",
        enable_utc=True,
        beat_schedule=beat_schedule(),
        beat_scheduler=f"{__name__}:StartNowScheduler",
    )
    app.conf.dotmac_settings = settings
    for spec in registry.all_jobs():
        _register(app, spec, settings)
    _worker.app = app
    return app


def beat_schedule() -> dict[str, dict[str, Any]]:
    """Every periodic job on its interval. A message not picked up within its interval
    expires: the next one is on its way, and a backlog must not pile up runs."""
    return {spec.name: {
        "task": spec.name, "schedule": spec.every, "kwargs": {"trigger": "schedule"},
        "options": {"expires": max(spec.every / timedelta(seconds=1), 5.0)},
    } for spec in registry.all_jobs() if spec.every is not None}


class StartNowEntry(ScheduleEntry):
    def default_now(self) -> Any:
        # an entry beat has never sent is due at once, as the in-process scheduler runs every
        # job when it starts; entries in the schedule file keep their last run
        return super().default_now() - timedelta(days=365)


class StartNowScheduler(PersistentScheduler):
    Entry = StartNowEntry


def _register(app: Celery, spec: JobSpec, settings: Settings) -> None:
    jobs = settings.jobs

    @app.task(name=spec.name, bind=True, max_retries=jobs.max_retries, acks_late=True,
              shared=False)  # this app only: each app has its own settings
    def run(self: Task, trigger: str = "schedule",
            params: dict[str, Any] | None = None) -> str:
        attempt = self.request.retries + 1
        params = dict(params or {})
        if spec.dated and isinstance(params.get("date"), str):
            params["date"] = date.fromisoformat(params["date"])
        ctx = JobContext(_database(settings), settings, utcnow(), params)
        try:
            result = execution.run_job(spec.name, ctx, trigger=trigger, attempt=attempt)
        except execution.JobFailed as failed:
            if (self.request.retries >= jobs.max_retries
                    or isinstance(failed.__cause__, SoftTimeLimitExceeded)):
                raise  # recorded as failed; Celery logs the task's failure
            countdown = min(jobs.retry_backoff_seconds * 2 ** self.request.retries,
                            jobs.retry_backoff_max_seconds)
            log.warning("job failed; retrying", extra={
                "job": spec.name, "attempt": attempt, "retry_in_seconds": countdown})
            raise self.retry(countdown=countdown, exc=failed) from failed
        return f"{result.status}: {result.summary}"

    del run


def _database(settings: Settings) -> Database:
    """One engine per worker process, made after the fork."""
    with _worker.lock:  # the threads pool's first tasks arrive together
        if _worker.database is None:
            _worker.database = Database.from_url(settings.database_url,
                                                 echo=settings.database_echo)
        return _worker.database


def _start_tracing() -> None:
    if _worker.app is None:
        return
    settings: Settings = _worker.app.conf.dotmac_settings
    _worker.provider = tracing.worker_provider(settings, "worker")
    tracing.instrument_celery(_worker.provider)


@worker_init.connect
def _worker_started(sender: Any = None, **_: Any) -> None:
    # jobs a job asks for (a dunning run's Disconnects) go back to the workers
    dispatch.send_to(_worker.app)
    if "prefork" in str(getattr(sender, "pool_cls", "")).lower():
        return  # each child sets up after the fork (below)
    _start_tracing()


@worker_process_init.connect
def _child_started(**_: Any) -> None:
    # a prefork child must not reuse the connections, or the exporter thread, of its parent
    _worker.database = None
    dispatch.send_to(_worker.app)
    _start_tracing()


@worker_shutdown.connect
@worker_process_shutdown.connect
def _flush(**_: Any) -> None:
    if _worker.provider is not None:
        observability_tracing.shutdown()  # the last spans go out before the process ends
        _worker.provider = None


def app_from_environment() -> Celery:
    """For `celery -A dotmac_isp.jobs.celery_app:app_from_environment()`-style loaders and
    the CLI: the app for DOTMAC_* settings."""
    return create_celery(get_settings())
