"""A periodic job runs once per interval across processes: several `serve` processes, each
with its own scheduler, do not each run it (a billing run done, another process's scheduler
skips it until its interval has passed), while a run asked for after a commit, a process's
own next run and a retry after a failure still go ahead."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from dotmac_isp.config import Settings
from dotmac_isp.jobs import execution
from dotmac_isp.jobs.models import JobRun
from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.shared.db import Database
from tests.jobs.conftest import RegisterJob

HOUR = timedelta(hours=1)
A, B = "host-a:101", "host-b:202"  # two processes


def run(database: Database, settings: Settings, process: str, *, suffix: str = "1",
        once_per: timedelta | None = HOUR, trigger: str = "schedule") -> execution.RunResult:
    return execution.run_job("tests.hourly", JobContext(database, settings),
                             trigger=trigger, holder=f"{process}/{suffix}", once_per=once_per)


def test_another_process_skips_a_job_run_within_its_interval(
        committing_db: Database, settings: Settings, register_job: RegisterJob) -> None:
    calls: list[str] = []

    def bill(ctx: JobContext) -> str:
        calls.append("ran")
        return "billed"

    register_job("tests.hourly", bill, every=HOUR)
    assert run(committing_db, settings, A).status == "succeeded"
    skipped = run(committing_db, settings, B)
    assert skipped.status == "skipped" and f"{A}/1" in skipped.summary
    assert calls == ["ran"]
    # its own process's next run, and a run asked for (new work committed), are not skipped
    assert run(committing_db, settings, A, suffix="2").status == "succeeded"
    assert run(committing_db, settings, B, once_per=None, trigger="dispatch").status == (
        "succeeded")
    assert calls == ["ran"] * 3
    # a run asked for elsewhere does not move the schedule: A's next scheduled run goes ahead
    assert run(committing_db, settings, A, suffix="3", once_per=timedelta(minutes=30)).status \
        == "succeeded"
    assert calls == ["ran"] * 4
    with committing_db.unit_of_work(write=False) as session:
        rows = session.execute(select(JobRun.holder, JobRun.status).where(
            JobRun.job == "tests.hourly").order_by(JobRun.started_at)).all()
    assert [tuple(r) for r in rows] == [(f"{A}/1", "succeeded"), (f"{B}/1", "skipped"),
                                        (f"{A}/2", "succeeded"), (f"{B}/1", "succeeded"),
                                        (f"{A}/3", "succeeded")]


def test_a_run_older_than_the_interval_or_failed_does_not_hold_the_job_back(
        committing_db: Database, settings: Settings, register_job: RegisterJob) -> None:
    outcomes = iter(["fail", "ok", "ok"])

    def flaky(ctx: JobContext) -> str:
        if next(outcomes) == "fail":
            raise RuntimeError("database away")
        return "billed"

    register_job("tests.hourly", flaky, every=HOUR)
    with pytest.raises(execution.JobFailed):
        run(committing_db, settings, A)
    assert run(committing_db, settings, B).status == "succeeded"  # A's run failed
    # a run further back than the interval: the other process runs the job again
    assert run(committing_db, settings, A, once_per=timedelta(0)).status == "succeeded"
