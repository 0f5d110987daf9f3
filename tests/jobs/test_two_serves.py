"""Two `dotmac-isp serve` processes on one PostgreSQL database, each with its own in-process
scheduler (no broker), for about a minute and a half while subscribers are suspended and
restored through either one's API: every device is polled once per interval, every CoA
and every email is sent once, the billing run is done once, and no periodic job runs more
often than its interval across the two. The harness is bench/two_serves.py (the ten-minute
run); here it runs short, with few devices. The processes are stopped by PID."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bench.two_serves import Plan, run

from dotmac_isp import db_migrate
from tests.conftest import BACKENDS
from tests.support.postgres import scratch_database

pytestmark = pytest.mark.slow


@pytest.fixture(params=BACKENDS)
def shared_database(request: pytest.FixtureRequest, _postgres: Any) -> Any:
    """A migrated database of its own that both server processes commit to."""
    if request.param == "sqlite":
        pytest.skip("two serve processes share one PostgreSQL database; SQLite is the "
                    "single-machine store (one process)")
    server, reason = _postgres
    if server is None:
        pytest.skip(f"PostgreSQL unavailable: {reason}")
    with scratch_database(server) as url:
        db_migrate.upgrade(url)
        yield url


def test_two_serve_processes_do_each_piece_of_work_once(shared_database: str,
                                                        tmp_path: Path) -> None:
    # 30 s between polls: the poll job's own period (10 s) is the timing resolution
    plan = Plan(seconds=75, devices=6, interval=30, subscribers=8, sessions=4, pause=1.5,
                drain_seconds=75)
    outcome = run(shared_database, plan, tmp_path)
    assert sum(outcome.actions.values()) > 0 and outcome.resets  # both kinds of work queued
    assert outcome.problems == [], "\n".join(outcome.lines)
