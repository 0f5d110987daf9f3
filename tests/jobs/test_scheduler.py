"""The in-process scheduler runs independent jobs at the same time: a job stuck on a dead
NAS or a long billing run delays no other, a job never overlaps itself, a job asked for runs
at once (again after its current run), and stopping waits for running jobs a bounded time."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import select

from dotmac_isp.config import Settings
from dotmac_isp.jobs import leases
from dotmac_isp.jobs import scheduler as scheduler_module
from dotmac_isp.jobs.models import JobRun
from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.jobs.scheduler import Scheduler
from dotmac_isp.shared.db import Database
from tests.jobs.conftest import RegisterJob

OFTEN = timedelta(milliseconds=20)
WAIT = 30  # seconds: a bound for a hung test, never a timing assertion


@contextmanager
def running(database: Database, settings: Settings, *names: str,
            concurrency: int = 4) -> Iterator[Scheduler]:
    scheduler = Scheduler(database, settings, tick=0.02, concurrency=concurrency, only=names)
    scheduler.start()
    try:
        yield scheduler
    finally:
        scheduler.stop(timeout=WAIT)


class Gate:
    """A job that blocks until released, counting how many copies of it run at once."""

    def __init__(self, any_entered: threading.Event | None = None) -> None:
        self.entered = threading.Event()
        self.any_entered = any_entered or threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.inside = 0
        self.most_inside = 0
        self.runs = 0

    def __call__(self, ctx: JobContext) -> str:
        with self.lock:
            self.inside += 1
            self.runs += 1
            self.most_inside = max(self.most_inside, self.inside)
        self.entered.set()
        self.any_entered.set()
        try:
            assert self.release.wait(WAIT)
        finally:
            with self.lock:
                self.inside -= 1
        return "released"


class Counter:
    def __init__(self, target: int) -> None:
        self.count = 0
        self.reached = threading.Event()
        self.target = target

    def __call__(self, ctx: JobContext) -> str:
        self.count += 1
        if self.count >= self.target:
            self.reached.set()
        return f"run {self.count}"


def test_a_blocked_job_delays_no_other_and_never_overlaps_itself(
        committing_db: Database, settings: Settings, register_job: RegisterJob) -> None:
    gate, quick = Gate(), Counter(target=3)
    register_job("tests.stuck_on_a_dead_nas", gate, every=OFTEN)
    register_job("tests.quick", quick, every=OFTEN)
    with running(committing_db, settings, "tests.stuck_on_a_dead_nas", "tests.quick"):
        assert gate.entered.wait(WAIT)
        assert quick.reached.wait(WAIT)  # three runs while the other job is stuck
        assert gate.inside == 1 and gate.runs == 1  # came due many times, started once
        gate.release.set()
    assert gate.most_inside == 1
    with committing_db.unit_of_work(write=False) as session:
        statuses = session.scalars(select(JobRun.status).where(
            JobRun.job == "tests.quick")).all()
    assert len(statuses) >= 3 and set(statuses) == {"succeeded"}


def test_a_job_asked_for_runs_at_once_and_again_after_its_current_run(
        committing_db: Database, settings: Settings, register_job: RegisterJob) -> None:
    gate = Gate()
    register_job("tests.on_demand", gate)  # no interval: runs only when asked for
    with running(committing_db, settings, "tests.on_demand") as scheduler:
        assert scheduler_module.active() is scheduler
        scheduler.run_soon("tests.on_demand")
        assert gate.entered.wait(WAIT)
        gate.entered.clear()
        scheduler.run_soon("tests.on_demand")  # new work queued while it runs
        scheduler.run_soon("tests.on_demand")  # ... asked for twice: one more run
        assert gate.runs == 1
        gate.release.set()
        assert gate.entered.wait(WAIT)
    assert gate.runs == 2 and gate.most_inside == 1
    assert scheduler_module.active() is None


def test_concurrency_is_bounded(committing_db: Database, settings: Settings,
                                register_job: RegisterJob) -> None:
    one_entered = threading.Event()
    first, second = Gate(one_entered), Gate(one_entered)
    register_job("tests.first", first, every=OFTEN)
    register_job("tests.second", second, every=OFTEN)
    with running(committing_db, settings, "tests.first", "tests.second",
                 concurrency=1) as scheduler:
        assert one_entered.wait(WAIT)
        started, waiting = (first, second) if first.entered.is_set() else (second, first)
        assert scheduler.running() == {"tests.first" if started is first else "tests.second"}
        assert not waiting.entered.is_set()
        started.release.set()
        assert waiting.entered.wait(WAIT)  # its turn once the first finished
        waiting.release.set()


def test_stop_waits_a_bounded_time_for_running_jobs(
        committing_db: Database, settings: Settings, register_job: RegisterJob) -> None:
    gate = Gate()
    register_job("tests.long_billing_run", gate, every=OFTEN)
    scheduler = Scheduler(committing_db, settings, tick=0.02, only=["tests.long_billing_run"])
    scheduler.start()
    try:
        assert gate.entered.wait(WAIT)
        assert scheduler.stop(timeout=0.05) == ["tests.long_billing_run"]
        assert scheduler.run_due() == []  # a stopped scheduler starts nothing
    finally:
        gate.release.set()
    assert scheduler.stop(timeout=WAIT) == []


def test_a_job_asked_for_while_another_process_holds_it_is_asked_again_shortly(
        committing_db: Database, settings: Settings, register_job: RegisterJob) -> None:
    # Another process's run may have claimed its rows before this commit: skipping would
    # leave the new work to the job's next interval (30 s for CoA and email).
    counter = Counter(target=1)
    register_job("tests.held", counter)
    other = "elsewhere:1:run"
    assert leases.acquire(committing_db, "tests.held", other, timedelta(minutes=5))
    with running(committing_db, settings, "tests.held") as scheduler:
        scheduler.run_soon("tests.held")
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline and not skipped_runs(committing_db, "tests.held"):
            time.sleep(0.02)
        assert skipped_runs(committing_db, "tests.held") >= 1 and counter.count == 0
        leases.release(committing_db, "tests.held", other)  # the other run ends
        assert counter.reached.wait(WAIT)  # asked again, without a new request or interval


def skipped_runs(database: Database, job: str) -> int:
    with database.unit_of_work(write=False) as session:
        return len(session.scalars(select(JobRun).where(
            JobRun.job == job, JobRun.status == "skipped")).all())
