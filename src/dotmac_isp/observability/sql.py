"""A client span per SQL statement, child of the span that is current (a request, a job, a
Celery task). Statements outside any span (the RADIUS policy refresh every few seconds, pool
pings) make no traces of their own."""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from sqlalchemy import event
from sqlalchemy.engine import Engine

_SPAN_KEY = "dotmac_otel_span"


def trace_sql(target: Engine | type[Engine], tracer: trace.Tracer) -> None:
    """Trace the statements of one engine, or of every engine when given the Engine class.

    opentelemetry-instrumentation-sqlalchemy declares support below SQLAlchemy 2.1 and patches
    create_engine process-wide, so the two engine events it relies on are used directly here.
    """

    def before(conn: Any, cursor: Any, statement: str, params: Any, context: Any,
               executemany: bool) -> None:
        if not trace.get_current_span().get_span_context().is_valid:
            return  # a statement outside any request, job or task: not a trace of its own
        if context is not None and getattr(context, _SPAN_KEY, None) is not None:
            return  # traced already (every engine's listener and this engine's both fired)
        verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "SQL"
        engine = conn.engine
        database = engine.url.database or ""
        span = tracer.start_span(f"{verb} {database}".strip(), kind=SpanKind.CLIENT, attributes={
            "db.system": engine.dialect.name, "db.name": database, "db.statement": statement,
            "db.operation": verb,
        })
        if context is not None:
            setattr(context, _SPAN_KEY, span)

    def after(conn: Any, cursor: Any, statement: str, params: Any, context: Any,
              executemany: bool) -> None:
        span = getattr(context, _SPAN_KEY, None)
        if span is not None:
            span.end()
            setattr(context, _SPAN_KEY, None)

    def failed(exception_context: Any) -> None:
        span = getattr(exception_context.execution_context, _SPAN_KEY, None)
        if span is not None:
            span.set_status(Status(StatusCode.ERROR, str(exception_context.original_exception)))
            span.end()
            setattr(exception_context.execution_context, _SPAN_KEY, None)

    event.listen(target, "before_cursor_execute", before)
    event.listen(target, "after_cursor_execute", after)
    event.listen(target, "handle_error", failed)
