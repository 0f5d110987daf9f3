"""`dotmac-isp serve` exports one trace per request over OTLP, HTTP or gRPC: the request's
server span with the SQL it ran beneath it, decoded from the protobuf payloads a receiver on
loopback gets. The server runs as its own process, configured from the environment as an
operator would, and is stopped with SIGTERM: the spans arrive through the shutdown flush."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from dotmac_isp import db_migrate
from dotmac_isp.config import Settings
from dotmac_isp.shared.db import make_engine, make_sessionmaker, unit_of_work
from tests.conftest import BACKENDS
from tests.support.factories import make_tenant, make_user
from tests.support.otlp import RECEIVERS, ReceivedSpan, Receiver
from tests.support.postgres import scratch_database

SECRET = "otlp-test-secret-key-0123456789abcdef"
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(params=BACKENDS)
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path,
                   _postgres: Any) -> Iterator[str]:
    """A migrated database of its own: the server process commits what it writes."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'traced.db'}"
        db_migrate.upgrade(url)
        yield url
        return
    server, reason = _postgres
    if server is None:
        pytest.skip(f"PostgreSQL unavailable: {reason}")
    with scratch_database(server) as url:
        db_migrate.upgrade(url)
        yield url


def _admin_token(url: str) -> str:
    settings = Settings(environment="test", secret_key=SECRET)  # type: ignore[arg-type]
    engine = make_engine(url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            tenant = make_tenant(session, "traced-isp")
            return make_user(session, settings, tenant, "admin").token
    finally:
        engine.dispose()


def environment(url: str, receiver: Receiver) -> dict[str, str]:
    """What an operator sets for a process of ours exporting to the receiver."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "DOTMAC_"))}
    env.update({
        "DOTMAC_DATABASE_URL": url, "DOTMAC_SECRET_KEY": SECRET, "DOTMAC_ENVIRONMENT": "test",
        "DOTMAC_LOG_LEVEL": "WARNING", "DOTMAC_OTLP_ENDPOINT": receiver.endpoint,
        "DOTMAC_OTLP_PROTOCOL": receiver.protocol,
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p.endswith("src")),
    })
    return env


def start_server(url: str, receiver: Receiver) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "dotmac_isp.cli", "serve", "--no-radius", "--no-migrate",
         "--host", "127.0.0.1", "--port", str(port)],
        env=environment(url, receiver), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"serve exited: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            if httpx.get(f"{base}/healthz", timeout=0.5).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    process.wait(10)
    raise RuntimeError("serve did not answer /healthz within 60 s")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)
        raise


def ancestors(span: ReceivedSpan, trace: list[ReceivedSpan]) -> list[ReceivedSpan]:
    by_id = {s.span_id: s for s in trace}
    chain = []
    while span.parent_span_id and span.parent_span_id in by_id:
        span = by_id[span.parent_span_id]
        chain.append(span)
    return chain


@pytest.mark.parametrize("protocol", sorted(RECEIVERS))
def test_a_request_and_its_sql_are_one_trace(protocol: str, fresh_database: str) -> None:
    token = _admin_token(fresh_database)
    with RECEIVERS[protocol]() as receiver:
        process, base = start_server(fresh_database, receiver)
        try:
            response = httpx.post(f"{base}/api/v1/customers", timeout=30,
                                  headers={"Authorization": f"Bearer {token}"},
                                  json={"first_name": "Ada", "last_name": "Lovelace"})
            assert response.status_code == 201, response.text
        finally:
            stop_server(process)
        spans = receiver.wait_for(lambda got: any(
            s.is_server and s.name == "POST /api/v1/customers" for s in got), timeout=5)

    servers = [s for s in spans if s.is_server and s.name == "POST /api/v1/customers"]
    assert len(servers) == 1, [s.name for s in spans]
    server = servers[0]
    assert server.resource["service.name"] == "dotmac-isp-api"
    assert server.resource["service.namespace"] == "dotmac-isp"
    assert server.attributes.get("http.route") == "/api/v1/customers"
    trace = receiver.trace(server.trace_id)
    sql = [s for s in trace if "db.statement" in s.attributes]
    assert any(s.attributes["db.statement"].lstrip().upper().startswith("INSERT INTO CUSTOMERS")
               for s in sql), [s.attributes["db.statement"][:60] for s in sql]
    # every statement of the request hangs under its server span, in no other trace
    assert all(server in ancestors(s, trace) for s in sql)
    request_spans = [s for s in spans if s.attributes.get("http.route") == "/api/v1/customers"]
    assert {s.trace_id for s in request_spans} == {server.trace_id}
    inserts = [s for s in spans if "INSERT INTO customers" in str(s.attributes.get(
        "db.statement", ""))]
    assert {s.trace_id for s in inserts} == {server.trace_id}
    if protocol == "http/protobuf":
        assert set(receiver.paths) == {"/v1/traces"}


def test_a_job_run_from_the_cli_is_one_trace(fresh_database: str) -> None:
    with RECEIVERS["http/protobuf"]() as receiver:
        done = subprocess.run([sys.executable, "-m", "dotmac_isp.cli", "jobs", "run",
                               "jobs.prune_history"], env=environment(fresh_database, receiver),
                              capture_output=True, timeout=120)
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        spans = receiver.wait_for(lambda got: any(s.name == "job jobs.prune_history"
                                                  for s in got), timeout=5)
    job = next(s for s in spans if s.name == "job jobs.prune_history")
    assert job.resource["service.name"] == "dotmac-isp-cli"
    assert job.parent_span_id == ""
    trace = receiver.trace(job.trace_id)
    sql = [s for s in trace if "db.statement" in s.attributes]
    assert any(s.attributes["db.statement"].lstrip().upper().startswith("DELETE") for s in sql)
    assert all(job in ancestors(s, trace) for s in sql)
