"""OpenTelemetry tracing of requests and SQL, exported over OTLP/HTTP when configured."""

from __future__ import annotations

from fastapi import FastAPI
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from sqlalchemy.engine import Engine

from dotmac_isp import __version__


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
    SQLAlchemyInstrumentor().instrument(engine=engine, tracer_provider=provider)
    return provider
