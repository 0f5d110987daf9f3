"""A CoA or Disconnect sent to a NAS is a client span under the job or request sending it."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from dotmac_isp.sdks.radius.client import DynamicAuthResult, send_dynamic_request
from dotmac_isp.shared.claims import drain
from tests.modules.network.radius.support import SECRET
from tests.modules.network.radius.test_coa import nas_stand_in


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
