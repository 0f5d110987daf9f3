"""Job leases: one process at a time runs a job. Racing takers get one winner on both
databases, a crashed holder's lease expires, and a run that finds the lease held is skipped
and recorded as such."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from dotmac_isp.config import Settings
from dotmac_isp.jobs import execution, leases, records
from dotmac_isp.jobs.models import JobRun
from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.types import utcnow
from tests.jobs.conftest import RegisterJob
from tests.support.parallel import at_once

MINUTE = timedelta(minutes=1)


def runs_of(database: Database, job: str) -> list[JobRun]:
    with database.unit_of_work(write=False) as session:
        return list(session.scalars(select(JobRun).where(JobRun.job == job)
                                    .order_by(JobRun.started_at)))


def test_racing_takers_get_one_lease(committing_db: Database) -> None:
    holders = [f"holder-{n}" for n in range(8)]
    won = at_once(8, lambda n: leases.acquire(committing_db, "tests.race", holders[n], MINUTE))
    assert len(won) == 8 and won.count(True) == 1
    lease = leases.current(committing_db, "tests.race")
    assert lease is not None and lease.holder in holders


def test_an_expired_lease_is_taken_over_and_a_live_one_is_not(committing_db: Database) -> None:
    now = utcnow()
    assert leases.acquire(committing_db, "tests.crashed", "dead-process", MINUTE, now)
    assert not leases.acquire(committing_db, "tests.crashed", "next", MINUTE,
                              now + timedelta(seconds=59))
    # the dead process never renewed: after its minute the lease is anyone's
    assert leases.acquire(committing_db, "tests.crashed", "next", MINUTE,
                          now + timedelta(seconds=61))
    assert not leases.renew(committing_db, "tests.crashed", "dead-process", MINUTE)
    assert leases.renew(committing_db, "tests.crashed", "next", MINUTE)
    leases.release(committing_db, "tests.crashed", "dead-process")  # not its lease: no effect
    assert not leases.acquire(committing_db, "tests.crashed", "third", MINUTE)
    leases.release(committing_db, "tests.crashed", "next")
    assert leases.acquire(committing_db, "tests.crashed", "third", MINUTE)


def test_a_run_that_finds_the_lease_held_is_skipped_and_recorded(
        committing_db: Database, settings: Settings, register_job: RegisterJob) -> None:
    called = []
    register_job("tests.held", lambda ctx: called.append(1) or "ran")
    assert leases.acquire(committing_db, "tests.held", "other-host:1/abc", MINUTE)
    result = execution.run_job("tests.held", JobContext(committing_db, settings))
    assert result.status == "skipped" and called == []
    [run] = runs_of(committing_db, "tests.held")
    assert run.status == "skipped" and "other-host:1/abc" in run.summary
    leases.release(committing_db, "tests.held", "other-host:1/abc")
    assert execution.run_job("tests.held", JobContext(committing_db, settings)).status == (
        "succeeded")
    assert called == [1] and leases.current(committing_db, "tests.held") is None


def test_two_threads_running_one_job_run_it_once(
        committing_db: Database, settings: Settings, register_job: RegisterJob) -> None:
    inside = threading.Event()
    release = threading.Event()
    entered = []

    def slow(ctx: JobContext) -> str:
        entered.append(1)
        inside.set()
        assert release.wait(30)
        return "done"

    register_job("tests.once", slow)

    def run(n: int) -> str:
        if n == 1:  # the second runner arrives while the first holds the lease
            assert inside.wait(30)
        result = execution.run_job("tests.once", JobContext(committing_db, settings))
        release.set()
        return result.status

    statuses = at_once(2, run, timeout=60)
    assert sorted(statuses) == ["skipped", "succeeded"] and entered == [1]
    assert sorted(r.status for r in runs_of(committing_db, "tests.once")) == [
        "skipped", "succeeded"]


def test_a_failed_run_is_recorded_with_its_error_and_log(
        committing_db: Database, settings: Settings, register_job: RegisterJob) -> None:
    def fails(ctx: JobContext) -> str:
        execution.log.warning("about to fail")
        raise RuntimeError("the NAS is away")

    register_job("tests.fails", fails)
    with pytest.raises(execution.JobFailed) as failed:
        execution.run_job("tests.fails", JobContext(committing_db, settings), attempt=2)
    assert isinstance(failed.value.__cause__, RuntimeError)
    [run] = runs_of(committing_db, "tests.fails")
    assert (run.status, run.attempt, run.error) == ("failed", 2, "RuntimeError: the NAS is away")
    assert run.finished_at is not None and "about to fail" in run.log
    assert leases.current(committing_db, "tests.fails") is None  # released despite the error


def test_a_run_left_running_by_a_dead_process_is_closed_by_the_next(
        committing_db: Database, settings: Settings, register_job: RegisterJob) -> None:
    register_job("tests.orphan", lambda ctx: "ran")
    records.start_run(committing_db, "tests.orphan", utcnow() - MINUTE, trigger="schedule",
                      holder="gone:1/x")
    execution.run_job("tests.orphan", JobContext(committing_db, settings))
    first, second = runs_of(committing_db, "tests.orphan")
    assert first.status == "failed" and first.error == records.ABANDONED
    assert second.status == "succeeded" and second.summary == "ran"
