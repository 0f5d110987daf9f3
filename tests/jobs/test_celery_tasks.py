"""The Celery task of a job, run eagerly in this process (the broker and worker are
tests/jobs/test_celery_integration.py's business): a job that raises is retried with backoff
up to the bound, each attempt leaves a run row, and one that keeps failing ends failed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from celery import Celery
from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy import select

from dotmac_isp.config import JobsSettings, Settings
from dotmac_isp.jobs import celery_app
from dotmac_isp.jobs.models import JobRun
from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.shared.db import Database
from tests.jobs.conftest import RegisterJob


@pytest.fixture
def task_settings(settings: Settings, database_url: str,
                  committing_db: Database) -> Iterator[Settings]:
    yield settings.model_copy(update={
        "database_url": database_url, "broker_url": "redis://127.0.0.1:9/0",  # never dialled
        "jobs": JobsSettings(max_retries=2, retry_backoff_seconds=0.01)})
    if celery_app._worker.database is not None:
        celery_app._worker.database.dispose()
        celery_app._worker.database = None


def attempts(database: Database, job: str) -> list[tuple[int, str]]:
    with database.unit_of_work(write=False) as session:
        return [(r.attempt, r.status) for r in session.scalars(
            select(JobRun).where(JobRun.job == job).order_by(JobRun.attempt))]


def flaky(failures: int) -> object:
    calls: list[int] = []

    def job(ctx: JobContext) -> str:
        calls.append(1)
        if len(calls) <= failures:
            raise ConnectionError(f"the NAS is away (call {len(calls)})")
        return "delivered"

    return job


def app_with(task_settings: Settings) -> Celery:
    app = celery_app.create_celery(task_settings)
    app.conf.task_always_eager = True
    return app


def test_a_failing_job_is_retried_and_its_attempts_recorded(
        task_settings: Settings, committing_db: Database, register_job: RegisterJob) -> None:
    register_job("tests.flaky", flaky(failures=2))  # type: ignore[arg-type]
    app = app_with(task_settings)
    result = app.tasks["tests.flaky"].apply(kwargs={"trigger": "schedule"})
    assert result.get() == "succeeded: delivered"
    assert attempts(committing_db, "tests.flaky") == [(1, "failed"), (2, "failed"),
                                                      (3, "succeeded")]


def test_a_job_that_keeps_failing_ends_failed_after_the_bound(
        task_settings: Settings, committing_db: Database, register_job: RegisterJob) -> None:
    register_job("tests.dead", flaky(failures=99))  # type: ignore[arg-type]
    app = app_with(task_settings)
    result = app.tasks["tests.dead"].apply(kwargs={"trigger": "schedule"})
    assert result.failed()
    assert attempts(committing_db, "tests.dead") == [(1, "failed"), (2, "failed"),
                                                     (3, "failed")]


def test_beat_sends_each_periodic_job_on_its_interval(register_job: RegisterJob) -> None:
    register_job("tests.periodic", lambda ctx: "", every=timedelta(minutes=5))
    register_job("tests.on_demand_only", lambda ctx: "")
    schedule = celery_app.beat_schedule()
    assert schedule["tests.periodic"]["schedule"] == timedelta(minutes=5)
    assert schedule["tests.periodic"]["options"] == {"expires": 300.0}
    assert "tests.on_demand_only" not in schedule
    assert schedule["billing.run_recurring"]["schedule"] == timedelta(hours=1)


def test_a_job_stopped_by_its_time_limit_is_not_retried(
        task_settings: Settings, committing_db: Database, register_job: RegisterJob) -> None:
    def too_long(ctx: JobContext) -> str:
        raise SoftTimeLimitExceeded()  # what Celery raises inside a run past its soft limit

    register_job("tests.too_long", too_long)
    result = app_with(task_settings).tasks["tests.too_long"].apply(kwargs={})
    assert result.failed()
    assert attempts(committing_db, "tests.too_long") == [(1, "failed")]
