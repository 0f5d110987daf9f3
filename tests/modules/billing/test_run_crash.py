"""Kill the billing run half-way (SIGKILL to a real process) and run it again: every
subscription-period is billed exactly once. Also: two runs at the same time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing import run
from dotmac_isp.modules.billing.models import BilledPeriod, InvoiceLine
from dotmac_isp.shared.db import Database
from tests.modules.billing.helpers import world
from tests.support.factories import make_tenant

SUBSCRIPTIONS = 120
ACTIVATED = date(2026, 1, 1)
RUN_DATE = date(2026, 6, 1)  # five more monthly periods each: Feb - Jun
EXPECTED_PERIODS = SUBSCRIPTIONS * 6


def seed(database: Database, settings: Settings) -> tuple[uuid.UUID, str]:
    slug = f"crash-{uuid.uuid4().hex[:8]}"
    with database.unit_of_work() as session:
        tenant = make_tenant(session, slug)
        # no email: committed rows must not leave mail queued for other tests' outbox
        w = world(session, settings, tenant, email=None)
        for _ in range(SUBSCRIPTIONS):
            w.subscribe(ACTIVATED)
        return tenant.id, slug


def counts(database: Database, tenant_id: uuid.UUID) -> tuple[int, Counter[tuple[str, str]]]:
    with database.unit_of_work(write=False) as session:
        periods = session.scalar(select(func.count()).select_from(BilledPeriod)
                                 .where(BilledPeriod.tenant_id == tenant_id)) or 0
        lines = Counter((str(sub), str(start)) for sub, start in session.execute(
            select(InvoiceLine.subscription_id, InvoiceLine.period_start)
            .where(InvoiceLine.tenant_id == tenant_id)))
    return periods, lines


def cli(database_url: str) -> list[str]:
    exe = Path(sys.executable).parent / "dotmac-isp"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "dotmac_isp.cli"]


@pytest.mark.slow
def test_killed_run_resumes_and_bills_each_period_once(engine: Engine, settings: Settings,
                                                       database_url: str) -> None:
    database = Database(engine)
    tenant_id, slug = seed(database, settings)
    env = {**os.environ, "DOTMAC_DATABASE_URL": database_url, "DOTMAC_LOG_LEVEL": "WARNING",
           "DOTMAC_SECRET_KEY": settings.secret_key.get_secret_value()}
    proc = subprocess.Popen([*cli(database_url), "billing", "run", "--tenant", slug, "--date",
                             RUN_DATE.isoformat(), "--chunk-size", "10", "--pause", "0.25"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    periods = 0
    while time.monotonic() < deadline:
        periods, _ = counts(database, tenant_id)
        if periods > SUBSCRIPTIONS + 100:  # some chunks of the run are committed
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    periods, _ = counts(database, tenant_id)
    assert SUBSCRIPTIONS < periods < EXPECTED_PERIODS, "the kill did not land half-way"
    # run it again to the end, in this process
    record = run.run(database, tenant_id, RUN_DATE, chunk_size=25)
    assert record.status == "completed" and record.errors == []
    periods, lines = counts(database, tenant_id)
    assert periods == EXPECTED_PERIODS
    assert len(lines) == EXPECTED_PERIODS and set(lines.values()) == {1}
    again = run.run(database, tenant_id, RUN_DATE)
    assert (again.periods_billed, again.invoices_created, again.invoices_issued) == (0, 0, 0)


def test_two_runs_at_once_never_double_bill(engine: Engine, settings: Settings) -> None:
    database = Database(engine)
    tenant_id, _slug = seed(database, settings)
    barrier = threading.Barrier(2)
    results: list[object] = []

    def go() -> None:
        barrier.wait()
        try:
            results.append(run.run(database, tenant_id, RUN_DATE, chunk_size=15))
        except Exception as exc:  # the test reports whatever escaped
            results.append(exc)

    threads = [threading.Thread(target=go) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(not isinstance(r, Exception) for r in results), results
    periods, lines = counts(database, tenant_id)
    assert periods == EXPECTED_PERIODS and set(lines.values()) == {1}
