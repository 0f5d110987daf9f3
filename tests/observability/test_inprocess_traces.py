"""The one-machine set-up, traced over OTLP to a receiver in the test: a job run by the
scheduler inside `dotmac-isp serve` (no broker) is one trace, its SQL and the Disconnect it
sends beneath the job span; `dotmac-isp radius serve` exports a span for each sampled RADIUS
request. Both are real processes, stopped with SIGTERM so their spans go out in the flush."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable

import httpx
import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from sqlalchemy import select

from dotmac_isp import wiring
from dotmac_isp.config import Settings
from dotmac_isp.modules.network.radius.models import CoaRequest
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.shared.db import Database
from tests.modules.network.radius.nas_stand_in import nas_stand_in
from tests.modules.network.radius.support import (
    Reply,
    radclient,
    require_radclient,
    seed_isp,
)
from tests.observability.suspension import SESSION_ID, online_subscriber
from tests.support.otlp import (
    SECRET,
    ReceivedSpan,
    ancestors,
    environment,
    http_receiver,
    start_server,
    stop,
)

pytestmark = pytest.mark.slow
WAIT = 45  # seconds: the bound on every wait of this module


def _wait(what: str, predicate: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT
    while not predicate():
        assert time.monotonic() < deadline, f"not within {WAIT} s: {what}"
        time.sleep(0.1)


def _statement(span: ReceivedSpan) -> str:
    return " ".join(str(span.attributes.get("db.statement", "")).split()).upper()


def test_a_job_of_the_in_process_scheduler_is_one_trace(fresh_database: str) -> None:
    wiring.install()
    settings = Settings(environment="test", secret_key=SECRET)  # type: ignore[arg-type]
    database = Database.from_url(fresh_database)
    with nas_stand_in() as nas, http_receiver() as receiver:
        isp, token = online_subscriber(database, settings, nas.port)
        # no RADIUS in serve: its scheduler's radius.deliver_coa is the only sender
        server, base = start_server(environment(fresh_database, receiver,
                                                DOTMAC_RADIUS__COA_TIMEOUT_SECONDS="1"))
        try:
            response = httpx.post(
                f"{base}/api/v1/subscriptions/{isp.subs['alice'].id}/status",
                headers={"Authorization": f"Bearer {token}"}, timeout=30,
                json={"status": "suspended", "reason": "unpaid"})
            assert response.status_code == 200, response.text

            def acked() -> bool:
                with database.unit_of_work(write=False) as session:
                    return session.scalars(select(CoaRequest.state)).all() == ["acked"]

            _wait("the Disconnect acknowledged", acked)
        finally:
            stop(server)
        spans = receiver.wait_for(lambda got: any(s.name == "RADIUS disconnect" for s in got),
                                  timeout=10)
    database.dispose()
    assert nas.session_ids() == [SESSION_ID]

    [disconnect] = [s for s in spans if s.name == "RADIUS disconnect"]
    assert disconnect.attributes["radius.answer"] == "ACK"
    trace = receiver.trace(disconnect.trace_id)
    *_, job = [disconnect, *ancestors(disconnect, trace)]
    assert (job.name, job.parent_span_id, job.kind) == (
        "job radius.deliver_coa", "", Span.SPAN_KIND_INTERNAL)
    assert job.attributes["dotmac.job"] == "radius.deliver_coa"
    assert {s.resource["service.name"] for s in trace} == {"dotmac-isp-api"}
    sql = [s for s in trace if "db.statement" in s.attributes]
    assert any(_statement(s).startswith("UPDATE RADIUS_COA_REQUESTS") for s in sql), \
        [_statement(s)[:60] for s in sql]
    assert any(_statement(s).startswith("INSERT INTO JOB_RUNS") for s in sql)
    assert all(job in ancestors(s, trace) for s in trace if s is not job)
    # the request that queued the Disconnect is a trace of its own, with its UPDATE
    [request] = [s for s in spans if s.is_server and "/status" in s.name]
    assert request.trace_id != job.trace_id
    assert any(_statement(s).startswith("UPDATE SUBSCRIPTIONS SET STATUS")
               for s in receiver.trace(request.trace_id))


def _udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_sampled_radius_requests_arrive_from_radius_serve(fresh_database: str) -> None:
    require_radclient()
    wiring.install()
    settings = Settings(environment="test", secret_key=SECRET)  # type: ignore[arg-type]
    database = Database.from_url(fresh_database)
    isp = seed_isp(database, settings, statuses={"alice": SubscriptionStatus.ACTIVE})
    database.dispose()
    auth_port, acct_port = _udp_port(), _udp_port()
    with http_receiver() as receiver:
        env = environment(fresh_database, receiver, DOTMAC_RADIUS__TRACE_SAMPLE_RATIO="1")
        radius = subprocess.Popen(
            [sys.executable, "-m", "dotmac_isp.cli", "radius", "serve", "--host", "127.0.0.1",
             "--auth-port", str(auth_port), "--acct-port", str(acct_port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            accept = {"User-Name": "alice", "User-Password": isp.passwords["alice"],
                      "NAS-IP-Address": "127.0.0.1"}
            replies: list[Reply] = []

            def answered() -> bool:  # the server is up once it answers
                assert radius.poll() is None, radius.stderr.read().decode()[-2000:]  # type: ignore[union-attr]
                replies[:] = radclient(auth_port, "auth", [accept], timeout=5, wait=1)
                return bool(replies)

            _wait("radius serve answering", answered)
            assert [r.code for r in replies] == ["Access-Accept"]
            rejected = radclient(auth_port, "auth", [{**accept, "User-Password": "wrong"}],
                                 timeout=10)
            assert [r.code for r in rejected] == ["Access-Reject"]
        finally:
            stop(radius)
        spans = receiver.wait_for(lambda got: any(
            s.attributes.get("radius.result") == "reject" for s in got), timeout=10)

    requests = [s for s in spans if s.name == "Access-Request"]
    assert {s.attributes["radius.result"] for s in requests} == {"accept", "reject"}
    assert all(s.kind == Span.SPAN_KIND_SERVER and s.parent_span_id == "" for s in requests)
    assert {s.resource["service.name"] for s in requests} == {"dotmac-isp-radius"}
    assert {s.resource["dotmac.role"] for s in requests} == {"radius"}
    assert all(s.attributes.get("radius.nas") == "bng-1" for s in requests)
