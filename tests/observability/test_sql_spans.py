"""SQL spans: one per statement under the current span, none outside any span."""

from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy import text

from dotmac_isp.observability.sql import trace_sql
from dotmac_isp.shared.db import make_engine


def test_one_span_per_statement_under_the_current_one() -> None:
    recorded = InMemorySpanExporter()
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(recorded))
    engine = make_engine("sqlite://")
    # two listeners on one engine (as when a process traces every engine and a component
    # also traces its own) still make one span per statement
    trace_sql(engine, provider.get_tracer("a"))
    trace_sql(engine, provider.get_tracer("b"))
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))  # no current span: no trace of its own
            with provider.get_tracer("test").start_as_current_span("job") as job:
                conn.execute(text("SELECT 2"))
    finally:
        engine.dispose()
        provider.shutdown()
    sql = [s for s in recorded.get_finished_spans() if s.name != "job"]
    assert [s.attributes["db.statement"] for s in sql if s.attributes] == ["SELECT 2"]
    assert sql[0].kind == SpanKind.CLIENT
    assert sql[0].parent is not None
    assert sql[0].parent.span_id == job.get_span_context().span_id
