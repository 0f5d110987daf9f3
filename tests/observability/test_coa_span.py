"""A CoA or Disconnect sent to a NAS is a client span under the job or request sending it."""

from __future__ import annotations

import time

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from sqlalchemy import select

from dotmac_isp import wiring
from dotmac_isp.config import Settings
from dotmac_isp.modules.network.radius import coa
from dotmac_isp.modules.network.radius.models import CoaRequest
from dotmac_isp.modules.services import lifecycle
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.observability.sql import trace_sql
from dotmac_isp.sdks.radius.client import DynamicAuthResult, send_dynamic_request
from dotmac_isp.shared.claims import drain
from dotmac_isp.shared.db import Database
from tests.modules.network.radius.nas_stand_in import nas_stand_in
from tests.modules.network.radius.support import SECRET, radius_settings
from tests.observability.suspension import online_subscriber


def test_coa_send_is_a_client_span_under_the_current_one(
        recorded_spans: InMemorySpanExporter) -> None:
    with nas_stand_in() as nas, \
            trace.get_tracer("test").start_as_current_span("job radius.send_coa") as job:
        result = send_dynamic_request("127.0.0.1", nas.port, SECRET.encode(), "coa",
                                      [("User-Name", "alice")], timeout=2, retries=0)
    assert result.answer == "ACK"
    coa = next(s for s in recorded_spans.get_finished_spans() if s.name == "RADIUS coa")
    assert coa.kind == SpanKind.CLIENT
    assert coa.parent is not None and coa.parent.span_id == job.get_span_context().span_id
    assert coa.context.trace_id == job.get_span_context().trace_id
    assert coa.attributes is not None
    assert coa.attributes["server.address"] == "127.0.0.1"
    assert coa.attributes["server.port"] == nas.port
    assert coa.attributes["radius.kind"] == "coa"
    assert coa.attributes["radius.answer"] == "ACK"
    assert coa.status.status_code != StatusCode.ERROR


def test_sends_on_the_batch_threads_stay_under_the_job(
        recorded_spans: InMemorySpanExporter) -> None:
    """The outboxes send on a pool of threads; their spans still belong to the job's trace."""
    due = ["alice", "bob", "carol"]

    def exchange(results: list[tuple[str, DynamicAuthResult]], room: int) -> list[str]:
        claimed, due[:] = due[:room], due[room:]
        return claimed

    with nas_stand_in() as nas, \
            trace.get_tracer("test").start_as_current_span("job radius.deliver_coa") as job:
        assert drain(exchange, lambda user: send_dynamic_request(
            "127.0.0.1", nas.port, SECRET.encode(), "coa", [("User-Name", user)], timeout=2,
            retries=0), workers=2, limit=10) == 3
    sent = [s for s in recorded_spans.get_finished_spans() if s.name == "RADIUS coa"]
    assert len(sent) == 3
    assert all(s.parent is not None and s.parent.span_id == job.get_span_context().span_id
               for s in sent)


def test_a_nak_marks_the_span_failed_with_its_cause(
        recorded_spans: InMemorySpanExporter) -> None:
    with nas_stand_in() as nas:
        nas.answer, nas.error_cause = "NAK", 503  # Session-Context-Not-Found
        result = send_dynamic_request("127.0.0.1", nas.port, SECRET.encode(), "disconnect",
                                      [("User-Name", "bob")], timeout=2, retries=0)
    assert result.answer == "NAK"
    span = next(s for s in recorded_spans.get_finished_spans()
                if s.name == "RADIUS disconnect")
    assert span.attributes is not None
    assert span.attributes["radius.answer"] == "NAK"
    assert span.attributes["radius.error_cause"] == 503
    assert span.status.status_code == StatusCode.ERROR


def _lineage(span: ReadableSpan, spans: tuple[ReadableSpan, ...]) -> list[int]:
    by_id = {s.context.span_id: s for s in spans if s.context is not None}
    chain = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        chain.append(span.context.span_id if span.context else 0)
    return chain


def test_a_disconnect_sent_after_commit_is_in_the_trace_of_the_request(
        recorded_spans: InMemorySpanExporter, fresh_database: str, settings: Settings) -> None:
    """`serve` with its RADIUS server sends a suspension's Disconnect from a pool of its own
    once the request commits: the send and its SQL belong to the request's trace."""
    wiring.install()
    database = Database.from_url(fresh_database)
    trace_sql(database.engine, trace.get_tracer("dotmac_isp.sql"))
    with nas_stand_in() as nas:
        isp, _token = online_subscriber(database, settings, nas.port)
        coa.start_dispatcher(radius_settings(settings, coa_timeout_seconds=2))
        try:
            # the commit, and with it the hand-over to the pool, happens inside the request
            with trace.get_tracer("test").start_as_current_span("POST /status") as request, \
                    database.unit_of_work() as session:
                lifecycle.transition(session, isp.tenant.id, isp.subs["alice"].id,
                                     SubscriptionStatus.SUSPENDED, reason="unpaid")
            deadline = time.monotonic() + 15
            while not any(s.name == "RADIUS disconnect"
                          for s in recorded_spans.get_finished_spans()):
                assert time.monotonic() < deadline, "no Disconnect within 15 s"
                time.sleep(0.05)
        finally:
            coa.stop_dispatcher()
    with database.unit_of_work(write=False) as session:
        assert session.scalars(select(CoaRequest.state)).all() == ["acked"]
    database.dispose()
    spans = recorded_spans.get_finished_spans()
    request_id = request.get_span_context().span_id
    [disconnect] = [s for s in spans if s.name == "RADIUS disconnect"]
    assert request_id in _lineage(disconnect, spans)
    claims = [s for s in spans if str((s.attributes or {}).get("db.statement", ""))
              .lstrip().startswith("UPDATE radius_coa_requests")]
    assert claims and all(request_id in _lineage(s, spans) for s in claims)
