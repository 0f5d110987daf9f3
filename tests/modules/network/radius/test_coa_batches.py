"""The CoA job claims due requests in batches and sends them in parallel: two senders never
send one request twice, a dead NAS holds up only its own requests, a lapsed claim is taken
over, and a request that cannot be built does not stop the others."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from dotmac_isp.config import Settings
from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.modules.network.radius import coa, tasks
from dotmac_isp.sdks.services import metrics
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.types import utcnow
from tests.modules.network.radius.coa_rows import Outbox
from tests.modules.network.radius.nas_stand_in import nas_stand_in
from tests.modules.network.radius.support import radius_settings
from tests.support.parallel import at_once
from tests.support.querycount import count_statements


def _wait_for(predicate: Any, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def test_two_senders_send_each_of_200_requests_exactly_once(
        outbox: Outbox, radius_url: str, settings: Settings) -> None:
    conf = radius_settings(settings, coa_concurrency=8, coa_timeout_seconds=5, coa_retries=0)
    now = utcnow()
    with nas_stand_in() as nas:
        queued = outbox.queue(nas.port, 200, "TWO", now - timedelta(seconds=1))

        def sender(_n: int) -> dict[str, int]:
            database = Database.from_url(radius_url)  # its own engine and connections
            try:
                return coa.deliver_due(database, conf, now)
            finally:
                database.dispose()

        summaries = at_once(2, sender)
        assert len(summaries) == 2
        received = Counter(nas.session_ids())
    assert received == Counter(queued)  # every request reached the NAS exactly once
    rows = outbox.rows()
    assert {(r.state, r.attempts, r.response) for r in rows.values()} == {("acked", 1, "ACK")}
    assert sum((Counter(s) for s in summaries), Counter()) == {"acked": 200}


def test_two_processes_send_each_of_200_requests_exactly_once(
        outbox: Outbox, radius_url: str, settings: Settings) -> None:
    if not radius_url.startswith("postgresql"):
        pytest.skip("two processes share one database on PostgreSQL; SQLite's run is one "
                    "process (the threaded test covers its claims)")
    with nas_stand_in() as nas:
        queued = outbox.queue(nas.port, 200, "PROC", utcnow() - timedelta(seconds=1))
        env = {**os.environ, "DOTMAC_DATABASE_URL": radius_url,
               "DOTMAC_SECRET_KEY": settings.secret_key.get_secret_value(),
               "DOTMAC_ENVIRONMENT": "test", "DOTMAC_LOG_JSON": "false",
               "DOTMAC_LOG_LEVEL": "WARNING", "DOTMAC_RADIUS__COA_CONCURRENCY": "8",
               "DOTMAC_RADIUS__COA_TIMEOUT_SECONDS": "5", "DOTMAC_RADIUS__COA_RETRIES": "0"}
        command = [sys.executable, "-m", "dotmac_isp.cli", "jobs", "run", "radius.deliver_coa"]
        senders = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outputs = []
        for process in senders:
            try:
                out, err = process.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                process.kill()
                out, err = process.communicate()
            assert process.returncode == 0, err
            outputs.append(out)
        received = Counter(nas.session_ids())
    assert received == Counter(queued), outputs
    assert {(r.state, r.attempts) for r in outbox.rows().values()} == {("acked", 1)}


def test_a_dead_nas_holds_up_only_its_own_requests(outbox: Outbox,
                                                   settings: Settings) -> None:
    # A long timeout, so that the live NAS's answers surely come first; nothing waits for it
    # in full except the dead requests, and those all wait at the same time.
    conf = radius_settings(settings, coa_concurrency=16, coa_timeout_seconds=5,
                           coa_retries=0)
    now = utcnow()
    with nas_stand_in("silent") as dead, nas_stand_in() as live:
        # the dead NAS's requests are first in the queue
        doomed = outbox.queue(dead.port, 4, "DEAD", now - timedelta(minutes=1))
        answered = outbox.queue(live.port, 6, "LIVE", now - timedelta(seconds=1))
        summary: dict[str, int] = {}
        job = threading.Thread(target=lambda: summary.update(coa.deliver_due(
            outbox.database, conf, now)))
        job.start()
        try:
            _wait_for(lambda: all(outbox.rows()[sid].state == "acked" for sid in answered))
            _wait_for(lambda: len(dead.received) == 4)
            rows = outbox.rows()
            # all four dead requests went out before the first of them timed out: they are
            # waited for side by side, so the job lasts one timeout, not four
            assert [(rows[sid].attempts, rows[sid].response) for sid in doomed] == \
                [(1, "")] * 4
            assert sorted(live.session_ids()) == answered
        finally:
            job.join(60)
    rows = outbox.rows()
    assert [(rows[sid].state, rows[sid].response) for sid in doomed] == [("pending", "timeout")] * 4
    assert summary == {"acked": 6, "pending": 4}
    exposed = metrics.render()
    for answer in ("ACK", "timeout"):
        assert (f'dotmac_radius_coa_round_trip_seconds_count{{answer="{answer}",'
                f'kind="disconnect"}}').encode() in exposed


def test_a_request_whose_sender_died_is_taken_over_after_its_backoff(
        outbox: Outbox, settings: Settings) -> None:
    conf = radius_settings(settings, coa_timeout_seconds=5, coa_retries=0)
    now = utcnow()
    with nas_stand_in() as nas:
        [sid] = outbox.queue(nas.port, 1, "DIED", now - timedelta(seconds=1))
        with outbox.database.unit_of_work() as session:
            [claimed] = coa.claim_due(session, conf, now, 10)  # ... and the sender dies here
        assert claimed.target_port == nas.port
        assert coa.deliver_due(outbox.database, conf, now + timedelta(seconds=29)) == {}
        assert coa.deliver_due(outbox.database, conf, now + timedelta(seconds=31)) == \
            {"acked": 1}
        assert nas.session_ids() == [sid]
    row = outbox.rows()[sid]
    assert (row.state, row.attempts) == ("acked", 2)


def test_a_request_that_cannot_be_built_does_not_stop_the_others(
        outbox: Outbox, settings: Settings) -> None:
    conf = radius_settings(settings, coa_timeout_seconds=5, coa_retries=0)
    now = utcnow()
    with nas_stand_in() as nas:
        [broken] = outbox.queue(nas.port, 1, "BROKEN", now - timedelta(minutes=1),
                                attributes=[["No-Such-Attribute", "x"]])
        fine = outbox.queue(nas.port, 3, "FINE", now - timedelta(seconds=1))
        summary = tasks.deliver_coa(JobContext(outbox.database, conf, now))
        assert sorted(nas.session_ids()) == fine
    assert summary == "3 acked, 1 pending"
    row = outbox.rows()[broken]
    assert (row.state, row.response, row.attempts) == ("pending", "error", 1)
    assert "No-Such-Attribute" in row.error_detail


def test_postgres_senders_skip_rows_another_sender_is_claiming(
        outbox: Outbox, settings: Settings) -> None:
    if outbox.database.engine.dialect.name != "postgresql":
        pytest.skip("row locks (FOR UPDATE SKIP LOCKED) are PostgreSQL's; SQLite serialises "
                    "claims with its writer lock")
    now = utcnow()
    outbox.queue(9, 10, "LOCK", now - timedelta(seconds=1))
    with outbox.database.unit_of_work() as first:
        mine = coa.claim_due(first, settings, now, 6)  # still uncommitted: rows locked
        with outbox.database.unit_of_work() as second:
            theirs = coa.claim_due(second, settings, now, 10)  # does not wait for the first
    assert len(mine) == 6 and len(theirs) == 4
    assert not {a.id for a in mine} & {a.id for a in theirs}
    assert {r.attempts for r in outbox.rows().values()} == {1}


def test_claiming_and_recording_cost_the_same_statements_at_10_and_100_requests(
        outbox: Outbox, settings: Settings) -> None:
    now = utcnow()
    counts = []
    for size, prefix in ((10, "TEN"), (100, "HUNDRED")):
        outbox.queue(9, size, prefix, now - timedelta(seconds=1))
        with count_statements(outbox.database.engine) as counted:
            with outbox.database.unit_of_work() as session:
                claimed = coa.claim_due(session, settings, now, size)
            results = [(attempt, coa.Outcome(None, "timed out")) for attempt in claimed]
            with outbox.database.unit_of_work() as session:
                coa.record(session, settings, results)
        assert len(claimed) == size
        counts.append(counted.count)
    assert counts[0] == counts[1]
