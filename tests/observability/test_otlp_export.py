"""`dotmac-isp serve` exports one trace per request over OTLP, HTTP or gRPC: the request's
server span with the SQL it ran beneath it, decoded from the protobuf payloads a receiver on
loopback gets. The server runs as its own process, configured from the environment as an
operator would, and is stopped with SIGTERM: the spans arrive through the shutdown flush."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from dotmac_isp.config import Settings
from dotmac_isp.shared.db import make_engine, make_sessionmaker, unit_of_work
from tests.support.factories import make_tenant, make_user
from tests.support.otlp import (
    RECEIVERS,
    SECRET,
    ancestors,
    environment,
    start_server,
    stop,
)

pytestmark = pytest.mark.slow


def _admin_token(url: str) -> str:
    settings = Settings(environment="test", secret_key=SECRET)  # type: ignore[arg-type]
    engine = make_engine(url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            tenant = make_tenant(session, "traced-isp")
            return make_user(session, settings, tenant, "admin").token
    finally:
        engine.dispose()


@pytest.mark.parametrize("protocol", sorted(RECEIVERS))
def test_a_request_and_its_sql_are_one_trace(protocol: str, fresh_database: str) -> None:
    token = _admin_token(fresh_database)
    with RECEIVERS[protocol]() as receiver:
        process, base = start_server(environment(fresh_database, receiver))
        try:
            response = httpx.post(f"{base}/api/v1/customers", timeout=30,
                                  headers={"Authorization": f"Bearer {token}"},
                                  json={"first_name": "Ada", "last_name": "Lovelace"})
            assert response.status_code == 201, response.text
        finally:
            stop(process)
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
