"""OpenTelemetry tracing of requests and SQL, exported over OTLP/HTTP when configured."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode
from sqlalchemy import event
from sqlalchemy.engine import Engine

from dotmac_isp import __version__

_SPAN_KEY = "dotmac_otel_span"


def setup_tracing(app: FastAPI, engine: Engine, endpoint: str,
                  service_name: str) -> TracerProvider:
    """Trace every request and SQL statement; spans go to {endpoint}/v1/traces."""
    provider = TracerProvider(resource=Resource.create({
        "service.name": service_name, "service.version": __version__,
    }))
    exporter = OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces", timeout=5)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider,
                                       excluded_urls="healthz,readyz,metrics,static")
    trace_sql(engine, provider.get_tracer("dotmac_isp.sql", __version__))
    return provider


def trace_sql(engine: Engine, tracer: trace.Tracer) -> None:
    """A client span per statement on this engine only.

    opentelemetry-instrumentation-sqlalchemy declares support below SQLAlchemy 2.1 and patches
    create_engine process-wide, so the two engine events it relies on are used directly here.
    """
    system = engine.dialect.name
    database = engine.url.database or ""

    def before(conn: Any, cursor: Any, statement: str, params: Any, context: Any,
               executemany: bool) -> None:
        verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "SQL"
        span = tracer.start_span(f"{verb} {database}".strip(), kind=SpanKind.CLIENT, attributes={
            "db.system": system, "db.name": database, "db.statement": statement,
            "db.operation": verb,
        })
        if context is not None:
            setattr(context, _SPAN_KEY, span)

    def after(conn: Any, cursor: Any, statement: str, params: Any, context: Any,
              executemany: bool) -> None:
        span = getattr(context, _SPAN_KEY, None)
        if span is not None:
            span.end()

    def failed(exception_context: Any) -> None:
        span = getattr(exception_context.execution_context, _SPAN_KEY, None)
        if span is not None:
            span.set_status(Status(StatusCode.ERROR, str(exception_context.original_exception)))
            span.end()

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    event.listen(engine, "handle_error", failed)
