"""Traces across Celery: the process that queues a job (the API, beat) and the worker that
runs it are instrumented with opentelemetry-instrumentation-celery, so a task's span is a
child of the request that queued it. Export itself is the observability package's."""

from __future__ import annotations

from typing import Any

from opentelemetry.instrumentation.celery import CeleryInstrumentor
from opentelemetry.sdk.trace import TracerProvider

from dotmac_isp import __version__
from dotmac_isp.config import Settings
from dotmac_isp.observability import tracing
from dotmac_isp.shared.db import Database


def instrument_celery(provider: TracerProvider | None) -> None:
    """Propagate the current trace into the messages this process sends and receives."""
    if provider is None:
        return
    instrumentor = CeleryInstrumentor()
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()  # e.g. a prefork child: its parent's exporter is gone
    instrumentor.instrument(tracer_provider=provider)


def worker_provider(settings: Settings, role: str) -> TracerProvider | None:
    """A tracer provider for a process without an HTTP app (a worker, beat), or None when
    no OTLP endpoint is configured."""
    setup: Any = getattr(tracing, "setup", None)  # the role-aware set-up, where present
    if setup is not None:
        provider: TracerProvider | None = setup(settings, role=role)
        return provider
    if not settings.otlp_endpoint:
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({
        "service.name": f"{settings.service_name}-{role}", "service.version": __version__}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(
        endpoint=f"{settings.otlp_endpoint.rstrip('/')}/v1/traces", timeout=5)))
    return provider


def trace_worker_sql(database: Database, provider: TracerProvider | None) -> None:
    if provider is not None:
        tracing.trace_sql(database.engine, provider.get_tracer("dotmac_isp.sql", __version__))
