"""What running a job costs beyond its own work, and what a slow job costs the others.

    .venv/bin/python -m bench.jobs [--runs N] [--url postgresql://...]

1. Per-run overhead of execution.run_job (take the lease, write the run row, finish it,
   release the lease: five short transactions, four of them writes) on a job that does
   nothing, beside the reference: one committed one-row write on the same database, in the
   same run.
2. The in-process scheduler with a job stuck for 2 s (a dead NAS) beside a quick job due
   every 20 ms: how many quick runs finish while the stuck job runs, with concurrency 4 and,
   as the reference, with concurrency 1 (the old one-job-at-a-time behaviour).
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, update

from bench.scratch import add_url_argument, scratch_database
from dotmac_isp import db_migrate, wiring
from dotmac_isp.config import Settings
from dotmac_isp.jobs import execution, registry
from dotmac_isp.jobs.models import JobLease, JobRun
from dotmac_isp.jobs.registry import JobContext, JobSpec
from dotmac_isp.jobs.scheduler import Scheduler
from dotmac_isp.shared.db import Database

STUCK_SECONDS = 2.0


def per_run(database: Database, settings: Settings, runs: int) -> tuple[float, float]:
    registry._jobs["bench.noop"] = JobSpec("bench.noop", lambda ctx: "", None, "noop")
    ctx = JobContext(database, settings)
    started = time.perf_counter()
    for _ in range(runs):
        last_run_id = execution.run_job("bench.noop", ctx).run_id
    job_ms = (time.perf_counter() - started) / runs * 1000
    started = time.perf_counter()
    for _ in range(runs):  # one committed write, as a single job's run record would be
        with database.unit_of_work() as session:
            session.execute(update(JobRun).where(JobRun.id == last_run_id)
                            .values(summary=JobRun.summary))
    bare_ms = (time.perf_counter() - started) / runs * 1000
    return job_ms, bare_ms


def quick_runs_while_stuck(database: Database, settings: Settings, concurrency: int) -> int:
    quick: list[int] = []
    stuck_done = threading.Event()

    def stuck(ctx: JobContext) -> str:
        time.sleep(STUCK_SECONDS)
        stuck_done.set()
        return "timed out"

    registry._jobs["bench.stuck"] = JobSpec("bench.stuck", stuck, timedelta(hours=1), "")
    registry._jobs["bench.quick"] = JobSpec("bench.quick", lambda ctx: str(quick.append(1)),
                                            timedelta(milliseconds=20), "")
    scheduler = Scheduler(database, settings, tick=0.02, concurrency=concurrency,
                          only=["bench.stuck", "bench.quick"])
    scheduler.start()
    stuck_done.wait(STUCK_SECONDS * 5)
    during = len(quick)
    scheduler.stop(timeout=10)
    return during


def measure(label: str, url: str, runs: int) -> None:
    database = Database.from_url(url)
    settings = Settings(database_url=url, log_level="WARNING")
    job_ms, bare_ms = per_run(database, settings, runs)
    print(f"{label}: run_job overhead {job_ms:.2f} ms/run vs one write transaction "
          f"{bare_ms:.2f} ms ({job_ms / bare_ms:.1f}x)")
    old = quick_runs_while_stuck(database, settings, 1)
    new = quick_runs_while_stuck(database, settings, 4)
    print(f"{label}: quick job runs during a {STUCK_SECONDS:.0f} s stuck job: concurrency 4 "
          f"{new}, concurrency 1 (reference) {old}")
    with database.unit_of_work() as session:
        session.execute(delete(JobRun).where(JobRun.job.startswith("bench.")))
        session.execute(delete(JobLease).where(JobLease.job.startswith("bench.")))
    database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    add_url_argument(parser)
    args = parser.parse_args()
    wiring.install()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        db_migrate.upgrade(url)
        measure("sqlite", url, args.runs)
    try:
        with scratch_database(args.url) as url:
            measure("postgresql", url, args.runs)
    except Exception as exc:  # no PostgreSQL here: the SQLite figures stand alone
        print(f"postgresql: skipped ({type(exc).__name__}: {exc})")


if __name__ == "__main__":
    main()
