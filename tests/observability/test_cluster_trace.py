"""One trace across the cluster: a subscriber with an open RADIUS session is suspended through
the API of a real `dotmac-isp serve`; its Disconnect is queued after the commit, goes through
a redis-server of the test's own to a real `dotmac-isp worker`, which sends it to a NAS
stand-in on loopback. Both processes export over OTLP to a receiver in the test, and the
decoded payloads must form one trace: the request, its SQL, the Celery publish, the worker's
task, the task's SQL and the Disconnect with the NAS's answer. The same holds for a job run
from the CLI whose Disconnect goes to the worker.

PostgreSQL only: a cluster shares one PostgreSQL, and SQLite's single writer is the
one-machine set-up whose jobs run inside `serve` (test_inprocess_traces covers that)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from sqlalchemy import select

from dotmac_isp import db_migrate, wiring
from dotmac_isp.config import Settings
from dotmac_isp.modules.network.radius.models import CoaRequest
from dotmac_isp.modules.services.enums import ScheduledAction, SubscriptionStatus
from dotmac_isp.modules.services.models import ScheduledChange
from dotmac_isp.shared.db import Database
from tests.conftest import BACKENDS
from tests.modules.network.radius.nas_stand_in import nas_stand_in
from tests.observability.suspension import SESSION_ID, online_subscriber
from tests.support.otlp import (
    RECEIVERS,
    SECRET,
    ReceivedSpan,
    ancestors,
    environment,
    start_server,
    stop,
)
from tests.support.postgres import scratch_database
from tests.support.redis_server import redis_server

pytestmark = pytest.mark.slow
WAIT = 45  # seconds: the bound on every wait of this test
ROUTE = "/api/v1/subscriptions/{subscription_id}/status"


@pytest.fixture(params=BACKENDS)
def cluster_database(request: pytest.FixtureRequest, _postgres: Any) -> Iterator[str]:
    if request.param == "sqlite":
        pytest.skip("PostgreSQL only: Celery workers share one PostgreSQL; SQLite is the "
                    "one-machine set-up whose jobs run in `serve` (test_inprocess_traces)")
    server, reason = _postgres
    if server is None:
        pytest.skip(f"PostgreSQL only, and it is unavailable: {reason}")
    with scratch_database(server) as url:
        db_migrate.upgrade(url)
        yield url


def _wait(what: str, predicate: Callable[[], bool], log: Path) -> None:
    deadline = time.monotonic() + WAIT
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {WAIT} s: {what}\n--- worker log\n"
                                 f"{log.read_text()[-4000:]}")
        time.sleep(0.1)


@contextmanager
def _worker(env: dict[str, str], log: Path, pool: str = "threads") -> Iterator[None]:
    with log.open("w") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "dotmac_isp.cli", "worker", "--concurrency", "2",
             "--pool", pool], env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield
        finally:
            stop(worker)  # Celery's warm shutdown flushes the worker's spans


def _acked(database: Database) -> Callable[[], bool]:
    def acked() -> bool:
        with database.unit_of_work(write=False) as session:
            return session.scalars(select(CoaRequest.state)).all() == ["acked"]

    return acked


def _the(spans: list[ReceivedSpan], what: Callable[[ReceivedSpan], bool]) -> ReceivedSpan:
    found = [s for s in spans if what(s)]
    assert len(found) == 1, [(s.name, s.resource.get("service.name")) for s in spans]
    return found[0]


def _statement(span: ReceivedSpan) -> str:
    return " ".join(str(span.attributes.get("db.statement", "")).split()).upper()


@pytest.mark.parametrize(("protocol", "pool"), [
    ("http/protobuf", "threads"), ("grpc", "threads"),
    ("http/protobuf", "prefork"),  # tracing set up in each child, after the fork
])
def test_a_suspension_is_one_trace_from_the_request_to_the_nas(
        protocol: str, pool: str, cluster_database: str, tmp_path: Path) -> None:
    wiring.install()
    settings = Settings(environment="test", secret_key=SECRET)  # type: ignore[arg-type]
    database = Database.from_url(cluster_database)
    log = tmp_path / "worker.log"
    with redis_server() as broker_url, nas_stand_in() as nas, \
            RECEIVERS[protocol]() as receiver:
        isp, token = online_subscriber(database, settings, nas.port)
        env = environment(cluster_database, receiver, DOTMAC_BROKER_URL=broker_url,
                          DOTMAC_RADIUS__COA_TIMEOUT_SECONDS="1")
        with _worker(env, log, pool):
            server, base = start_server(env)
            try:
                response = httpx.post(
                    f"{base}/api/v1/subscriptions/{isp.subs['alice'].id}/status",
                    headers={"Authorization": f"Bearer {token}"}, timeout=30,
                    json={"status": "suspended", "reason": "unpaid"})
                assert response.status_code == 200, response.text
                _wait("the Disconnect acknowledged", _acked(database), log)
            finally:
                stop(server)
        spans = receiver.wait_for(lambda got: any(
            s.name == "RADIUS disconnect" for s in got) and any(
            s.is_server and s.attributes.get("http.route") == ROUTE for s in got), timeout=10)
    database.dispose()
    assert nas.session_ids() == [SESSION_ID]

    request = _the(spans, lambda s: s.is_server and s.attributes.get("http.route") == ROUTE)
    assert request.resource["service.name"] == "dotmac-isp-api"
    assert request.parent_span_id == ""
    trace = receiver.trace(request.trace_id)

    def under(parent: ReceivedSpan) -> Callable[[ReceivedSpan], bool]:
        return lambda span: parent in ancestors(span, trace)

    # the request's own SQL, the UPDATE of the subscription among it
    updates = [s for s in trace if under(request)(s)
               and _statement(s).startswith("UPDATE SUBSCRIPTIONS SET STATUS")]
    assert updates, [_statement(s)[:60] for s in trace]
    assert all(s.resource["service.name"] == "dotmac-isp-api" for s in updates)

    publish = _the(trace, lambda s: s.name == "apply_async/radius.deliver_coa")
    assert publish.kind == Span.SPAN_KIND_PRODUCER and under(request)(publish)
    assert publish.resource["service.name"] == "dotmac-isp-api"

    task = _the(trace, lambda s: s.name == "run/radius.deliver_coa")
    assert task.kind == Span.SPAN_KIND_CONSUMER and under(publish)(task)
    assert task.resource["service.name"] == "dotmac-isp-worker"

    task_sql = [s for s in trace if under(task)(s) and "db.statement" in s.attributes]
    assert any(_statement(s).startswith("UPDATE RADIUS_COA_REQUESTS") for s in task_sql), \
        [_statement(s)[:60] for s in task_sql]
    assert all(s.resource["service.name"] == "dotmac-isp-worker" for s in task_sql)

    disconnect = _the(spans, lambda s: s.name == "RADIUS disconnect")
    assert disconnect.trace_id == request.trace_id and under(task)(disconnect)
    assert disconnect.kind == Span.SPAN_KIND_CLIENT
    assert disconnect.resource["service.name"] == "dotmac-isp-worker"
    assert (disconnect.attributes["radius.answer"], disconnect.attributes["server.port"]) == (
        "ACK", nas.port)
    # and the worker's statements of this run belong to no other trace
    coa_sql = [s for s in spans if "RADIUS_COA_REQUESTS" in _statement(s)]
    assert {s.trace_id for s in coa_sql} == {request.trace_id}


def test_a_cli_job_and_the_coa_it_queues_are_one_trace(cluster_database: str,
                                                       tmp_path: Path) -> None:
    """`dotmac-isp jobs run` with a broker: a scheduled suspension applied by the job queues
    its Disconnect for the workers, and the worker's task joins the job's trace."""
    wiring.install()
    settings = Settings(environment="test", secret_key=SECRET)  # type: ignore[arg-type]
    database = Database.from_url(cluster_database)
    log = tmp_path / "worker.log"
    with redis_server() as broker_url, nas_stand_in() as nas, \
            RECEIVERS["http/protobuf"]() as receiver:
        isp, _token = online_subscriber(database, settings, nas.port)
        with database.unit_of_work() as session:
            session.add(ScheduledChange(
                tenant_id=isp.tenant.id, subscription_id=isp.subs["alice"].id,
                action=ScheduledAction.STATUS.value, reason="unpaid",
                target_status=SubscriptionStatus.SUSPENDED.value,
                effective_at=datetime.now(UTC) - timedelta(minutes=1)))
        env = environment(cluster_database, receiver, DOTMAC_BROKER_URL=broker_url,
                          DOTMAC_RADIUS__COA_TIMEOUT_SECONDS="1")
        with _worker(env, log):
            done = subprocess.run([sys.executable, "-m", "dotmac_isp.cli", "jobs", "run",
                                   "services.apply_scheduled_changes"], env=env,
                                  capture_output=True, timeout=WAIT)
            assert done.returncode == 0, done.stderr.decode()[-2000:]
            _wait("the Disconnect acknowledged", _acked(database), log)
        spans = receiver.wait_for(lambda got: any(s.name == "RADIUS disconnect" for s in got),
                                  timeout=10)
    database.dispose()

    disconnect = _the(spans, lambda s: s.name == "RADIUS disconnect")
    trace = receiver.trace(disconnect.trace_id)
    chain = [s.name for s in ancestors(disconnect, trace)]
    assert chain[-3:] == ["run/radius.deliver_coa", "apply_async/radius.deliver_coa",
                          "job services.apply_scheduled_changes"], chain
    assert {s.resource["service.name"] for s in trace} == {"dotmac-isp-cli",
                                                           "dotmac-isp-worker"}
