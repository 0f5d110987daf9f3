"""The cluster set-up, for real: a redis-server of the test's own, `dotmac-isp worker` and
`dotmac-isp beat` as processes, a scratch PostgreSQL database. Beat and a manual enqueue
both send the billing run, and its invoices are created once; a suspension made through the
service queues a Disconnect that the worker delivers to a NAS stand-in (pyrad) on loopback.

PostgreSQL only: a cluster shares one PostgreSQL, and SQLite's single writer is the
one-machine set-up that runs jobs in `serve` instead."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from dotmac_isp import db_migrate, wiring
from dotmac_isp.config import Settings
from dotmac_isp.jobs import dispatch
from dotmac_isp.jobs.celery_app import create_celery
from dotmac_isp.jobs.models import JobRun
from dotmac_isp.modules.billing.models import Invoice
from dotmac_isp.modules.network.radius.models import CoaRequest, NasClient, RadAcct
from dotmac_isp.modules.services import lifecycle
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.shared.db import Database
from tests.conftest import BACKENDS
from tests.modules.billing.helpers import world
from tests.modules.network.radius.nas_stand_in import nas_stand_in
from tests.modules.network.radius.support import seed_isp
from tests.support.factories import make_tenant
from tests.support.postgres import scratch_database
from tests.support.redis_server import redis_server

WAIT = 45  # seconds: the bound on every wait of this test
SRC = str(Path(__file__).resolve().parents[2] / "src")


@pytest.fixture
def scratch_url(_postgres: Any) -> Iterator[str]:
    if "postgresql" not in BACKENDS:
        pytest.skip("PostgreSQL only (DOTMAC_TEST_DATABASES leaves it out): Celery workers "
                    "share one PostgreSQL; SQLite runs its jobs in `serve`")
    server, reason = _postgres
    if server is None:
        pytest.skip(f"PostgreSQL only, and it is unavailable: {reason}")
    with scratch_database(server) as url:
        db_migrate.upgrade(url)
        yield url


def wait_for(what: str, predicate: Callable[[], bool], logs: Path) -> None:
    deadline = time.monotonic() + WAIT
    while not predicate():
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}"
                              for p in sorted(logs.glob("*.log")))
            raise AssertionError(f"not within {WAIT} s: {what}\n{tails}")
        time.sleep(0.1)


@contextmanager
def process(name: str, env: dict[str, str], logs: Path, *args: str) -> Iterator[None]:
    with (logs / f"{name}.log").open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "dotmac_isp.cli", *args], env=env,
                                stdout=out, stderr=subprocess.STDOUT)
        try:
            yield
        finally:
            proc.terminate()  # Celery's warm shutdown
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def billing_runs(database: Database) -> list[JobRun]:
    with database.unit_of_work(write=False) as session:
        return list(session.scalars(select(JobRun).where(
            JobRun.job == "billing.run_recurring", JobRun.finished_at.is_not(None))
            .order_by(JobRun.started_at)))


def periods_billed(summary: str) -> int:
    match = re.search(r"(\d+) periods billed", summary)
    return int(match.group(1)) if match else -1


def invoices(database: Database) -> int:
    with database.unit_of_work(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(Invoice)) or 0)


def open_session_for(database: Database, isp: Any) -> None:
    now = datetime.now(UTC)
    with database.unit_of_work() as session:
        sub = isp.subs["alice"]
        session.add(RadAcct(tenant_id=isp.tenant.id, subscription_id=sub.id, nas_id=isp.nas_id,
                            acctsessionid="CELERY-1", acctuniqueid="celery-session-1",
                            username="alice", nasipaddress="127.0.0.1",
                            framedipaddress="100.64.0.20", acctstarttime=now,
                            acctupdatetime=now))


def test_billing_and_coa_flow_through_worker_and_beat(
        scratch_url: str, settings: Settings, tmp_path: Path) -> None:
    wiring.install()
    database = Database.from_url(scratch_url)
    today = datetime.now(UTC).date()

    def delivered_by() -> list[str]:
        """How the runs of radius.deliver_coa that sent something were started."""
        with database.unit_of_work(write=False) as session:
            return list(session.scalars(select(JobRun.trigger).where(
                JobRun.job == "radius.deliver_coa", JobRun.status == "succeeded",
                JobRun.summary != "nothing due")))

    with database.unit_of_work() as session:
        w = world(session, settings, make_tenant(session, "celery-billing"), email=None)
        for _ in range(3):
            w.subscribe(today - timedelta(days=45))
    isp = seed_isp(database, settings, statuses={"alice": SubscriptionStatus.ACTIVE})
    open_session_for(database, isp)
    before = invoices(database)

    with redis_server() as broker_url, nas_stand_in() as nas:
        with database.unit_of_work() as session:
            nas_row = session.get(NasClient, isp.nas_id)
            assert nas_row is not None
            nas_row.coa_port = nas.port
        env = {**os.environ, "PYTHONPATH": SRC, "DOTMAC_DATABASE_URL": scratch_url,
               "DOTMAC_BROKER_URL": broker_url, "DOTMAC_ENVIRONMENT": "test",
               "DOTMAC_SECRET_KEY": settings.secret_key.get_secret_value(),
               "DOTMAC_LOG_JSON": "false", "DOTMAC_LOG_LEVEL": "INFO",
               "DOTMAC_RADIUS__COA_TIMEOUT_SECONDS": "1"}
        with process("worker", env, tmp_path, "worker", "--concurrency", "4"), \
                process("beat", env, tmp_path, "beat", "--schedule-file",
                        str(tmp_path / "beat-schedule")):
            # (a) beat sends every job when it starts; an operator queues the billing too
            queued = subprocess.run([sys.executable, "-m", "dotmac_isp.cli", "jobs", "enqueue",
                                     "billing.run_recurring"], env=env, capture_output=True,
                                    text=True, timeout=WAIT)
            assert queued.returncode == 0, queued.stderr
            wait_for("two billing runs finished", lambda: len(billing_runs(database)) >= 2,
                     tmp_path)
            runs = billing_runs(database)
            assert {r.trigger for r in runs} == {"schedule", "manual"}
            seen = [(r.trigger, r.status, r.summary) for r in runs]
            # one run bills the four subscriptions' due periods; the other finds them billed
            # (or, had they overlapped, found the lease held and skipped)
            billed = [r for r in runs if r.status == "succeeded" and
                      periods_billed(r.summary) >= 4]
            assert len(billed) == 1, seen
            [other] = [r for r in runs if r is not billed[0]]
            assert other.status == "skipped" or periods_billed(other.summary) == 0, seen
            created = invoices(database) - before
            assert created >= 1, seen

            # (b) a suspension commits; its Disconnect goes through the worker to the NAS
            dispatch.send_to(create_celery(settings.model_copy(
                update={"broker_url": broker_url})))
            try:
                with database.unit_of_work() as session:
                    lifecycle.transition(session, isp.tenant.id, isp.subs["alice"].id,
                                         SubscriptionStatus.SUSPENDED, reason="unpaid")
            finally:
                dispatch.send_to(None)

            def acked() -> bool:
                with database.unit_of_work(write=False) as session:
                    return session.scalars(select(CoaRequest.state)).all() == ["acked"]

            wait_for("the Disconnect acknowledged", acked, tmp_path)
            # the worker records the CoA's answer before it closes the run's row
            wait_for("the delivering run recorded", lambda: "dispatch" in delivered_by(),
                     tmp_path)

    assert [r["Acct-Session-Id"] for r in nas.received] == [["CELERY-1"]]
    assert "dispatch" in delivered_by()
    assert invoices(database) - before == created  # nothing billed twice meanwhile
    database.dispose()
