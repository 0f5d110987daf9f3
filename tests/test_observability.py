"""Request ids, JSON logs, Prometheus metrics by route template, OTLP traces of requests and SQL."""

from __future__ import annotations

import io
import json
import logging
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from sqlalchemy.engine import Engine

from dotmac_isp.config import Settings
from dotmac_isp.main import create_app
from dotmac_isp.observability.logs import JsonFormatter
from dotmac_isp.shared.db import make_engine
from tests.conftest import RollbackDatabase
from tests.support.factories import StaffUser


def test_request_id_is_returned_and_honoured(client: TestClient) -> None:
    generated = client.get("/healthz").headers["x-request-id"]
    assert len(generated) == 32
    assert client.get("/healthz", headers={"X-Request-ID": "lb-abc-123"}).headers[
        "x-request-id"] == "lb-abc-123"
    # junk from outside is replaced, not echoed into logs
    junk = client.get("/healthz", headers={"X-Request-ID": "bad id\nwith newline"})
    assert junk.headers["x-request-id"] != "bad id\nwith newline"


def test_access_log_is_json_with_request_id_and_route(client: TestClient,
                                                      admin: StaffUser) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("dotmac_isp.http")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        response = client.get(f"/api/v1/users/{admin.user.id}", headers=admin.headers)
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    entry = next(e for e in lines if e.get("route") == "/api/v1/users/{user_id}")
    assert entry["request_id"] == response.headers["x-request-id"]
    assert entry["status"] == 200 and entry["method"] == "GET"
    assert entry["level"] == "info" and "duration_ms" in entry and "ts" in entry


def test_metrics_are_labelled_by_route_template(client: TestClient, admin: StaffUser) -> None:
    for _ in range(3):
        client.get(f"/api/v1/users/{uuid.uuid4()}", headers=admin.headers)
    text = client.get("/metrics").text
    assert 'route="/api/v1/users/{user_id}"' in text
    assert "dotmac_http_request_duration_seconds_bucket" in text
    line = next(ln for ln in text.splitlines() if ln.startswith("dotmac_http_requests_total")
                and 'route="/api/v1/users/{user_id}"' in ln and 'status="404"' in ln)
    assert float(line.rsplit(" ", 1)[1]) >= 3
    # no raw ids become labels
    assert str(admin.user.id) not in text


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ok", "database": "ok"}


def test_readiness_fails_when_the_database_is_gone(settings: Settings) -> None:
    dead = make_engine("postgresql://nobody@127.0.0.1:1/nothing")
    app = create_app(settings, RollbackDatabase.__new__(RollbackDatabase), configure_logs=False)
    app.state.db.engine = dead
    with TestClient(app) as c:
        response = c.get("/readyz")
    assert response.status_code == 503 and response.json()["database"] == "unreachable"


class _Collector:
    """A minimal OTLP/HTTP receiver on loopback (no collector binary can be installed here)."""

    def __init__(self) -> None:
        self.spans: list[dict[str, object]] = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                for resource_spans in request.resource_spans:
                    for scope_spans in resource_spans.scope_spans:
                        for span in scope_spans.spans:
                            attrs = {a.key: a.value.string_value for a in span.attributes}
                            collector.spans.append({"name": span.name, "attrs": attrs,
                                                    "path": self.path})
                payload = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def collector() -> Iterator[_Collector]:
    c = _Collector()
    c.thread.start()
    yield c
    c.server.shutdown()
    c.server.server_close()


def test_requests_and_sql_are_traced_over_otlp(collector: _Collector, settings: Settings,
                                               engine: Engine) -> None:
    traced = settings.model_copy(update={"otlp_endpoint": collector.endpoint})
    own_engine = make_engine(engine.url.render_as_string(hide_password=False))
    connection = own_engine.connect()
    outer = connection.begin()
    app = create_app(traced, RollbackDatabase(own_engine, connection),  # type: ignore[arg-type]
                     configure_logs=False)
    try:
        with TestClient(app) as c:
            response = c.post("/api/v1/auth/login",
                              json={"email": "nobody@example.com", "password": "whatever-pw"})
            assert response.status_code == 401
            app.state.tracer_provider.force_flush()
    finally:
        outer.rollback()
        connection.close()
        own_engine.dispose()
    names = [str(s["name"]) for s in collector.spans]
    assert all(s["path"] == "/v1/traces" for s in collector.spans)
    assert "POST /api/v1/auth/login" in names, names
    sql = [s for s in collector.spans if "db.statement" in s["attrs"]]  # type: ignore[operator]
    assert any("FROM users" in s["attrs"]["db.statement"] for s in sql), names  # type: ignore[index]
