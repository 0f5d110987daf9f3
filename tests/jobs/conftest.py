"""Fixtures for the job engine: a Database that commits for real (leases, runs and threads
need it), cleaned of the test jobs' rows afterwards, and registering throwaway jobs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import delete

from dotmac_isp.jobs import registry
from dotmac_isp.jobs.models import JobLease, JobRun
from dotmac_isp.jobs.registry import JobFunction, JobSpec
from dotmac_isp.shared.db import Database

TEST_PREFIX = "tests."


@pytest.fixture
def committing_db(database_url: str, engine: object) -> Iterator[Database]:
    """The test database without the rolled-back outer transaction."""
    database = Database.from_url(database_url)
    try:
        yield database
    finally:
        with database.unit_of_work() as session:
            session.execute(delete(JobLease).where(JobLease.job.startswith(TEST_PREFIX)))
            session.execute(delete(JobRun).where(JobRun.job.startswith(TEST_PREFIX)))
        database.dispose()


RegisterJob = Callable[..., str]


@pytest.fixture
def register_job(monkeypatch: pytest.MonkeyPatch) -> RegisterJob:
    """register_job("tests.x", function, every=...) for the length of the test."""

    def register(name: str, function: JobFunction, *,
                 every: timedelta | None = None) -> str:
        assert name.startswith(TEST_PREFIX)
        monkeypatch.setitem(registry._jobs, name, JobSpec(name, function, every, name))
        return name

    return register
