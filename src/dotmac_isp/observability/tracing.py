"""OpenTelemetry traces exported over OTLP (HTTP/protobuf or gRPC), configured the same way in
every process: the API, Celery workers and beat, the RADIUS server and CLI jobs.

Each process calls setup(settings, role=...) once at start (a Celery worker from its
worker_process_init signal, so the export thread lives in the forked child) and shutdown()
when it stops, which flushes the spans still queued. Nothing is set up unless an endpoint is
configured: DOTMAC_OTLP_ENDPOINT, or the standard OTEL_EXPORTER_OTLP_ENDPOINT /
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.resources import OTELResourceDetector, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, Sampler, TraceIdRatioBased
from sqlalchemy.engine import Engine

from dotmac_isp import __version__
from dotmac_isp.config import Settings
from dotmac_isp.observability.sql import trace_sql

log = logging.getLogger(__name__)
Role = Literal["api", "worker", "beat", "radius", "cli"]
Protocol = Literal["http/protobuf", "grpc"]
EXCLUDED_URLS = "healthz,readyz,metrics,static"
HTTP_TRACES_PATH = "/v1/traces"

_lock = threading.Lock()
_process_provider: TracerProvider | None = None


def endpoint_configured(settings: Settings) -> bool:
    """Whether traces are to be exported at all."""
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return bool(settings.otlp_endpoint or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
                or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"))


def protocol(settings: Settings) -> Protocol:
    """DOTMAC_OTLP_PROTOCOL, else the standard OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL, else
    http/protobuf (the OTLP default)."""
    chosen = (settings.otlp_protocol or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
              or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL") or "http/protobuf").strip()
    if chosen not in ("http/protobuf", "grpc"):
        raise ValueError(f"OTLP protocol {chosen!r} is not supported: use http/protobuf or grpc")
    return "grpc" if chosen == "grpc" else "http/protobuf"


def make_exporter(settings: Settings) -> SpanExporter:
    """The OTLP span exporter the settings ask for. Without DOTMAC_OTLP_ENDPOINT the exporter
    reads the standard OTEL_EXPORTER_OTLP_* variables itself (endpoint, headers, timeout)."""
    endpoint = settings.otlp_endpoint
    timeout = settings.otlp_timeout_seconds
    if protocol(settings) == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
            OTLPSpanExporter as GrpcExporter,
        )

        # http://host:4317 is a plain-text channel, https:// or a bare host:port is TLS
        return GrpcExporter(endpoint=endpoint, timeout=timeout)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
        OTLPSpanExporter as HttpExporter,
    )

    if endpoint and not endpoint.rstrip("/").endswith(HTTP_TRACES_PATH):
        endpoint = endpoint.rstrip("/") + HTTP_TRACES_PATH  # a base URL, as the collector's
    return HttpExporter(endpoint=endpoint, timeout=timeout)


def resource(settings: Settings, role: Role) -> Resource:
    """service.name per role (dotmac-isp-api, -worker, ...) in the dotmac-isp namespace;
    OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override these defaults."""
    ours = Resource.create({
        "service.name": f"{settings.service_name}-{role}",
        "service.namespace": settings.service_name,
        "service.version": __version__,
        "service.instance.id": f"{socket.gethostname()}:{os.getpid()}",
        "deployment.environment.name": settings.environment,
        "dotmac.role": role,
    })
    return ours.merge(OTELResourceDetector().detect())


def sampler(settings: Settings) -> Sampler | None:
    """Keep a share of new traces and follow the caller's decision for the rest; None leaves
    the choice to OTEL_TRACES_SAMPLER (the SDK default keeps every trace)."""
    if settings.trace_sample_ratio is None:
        return None
    return ParentBased(TraceIdRatioBased(settings.trace_sample_ratio))


def build_provider(settings: Settings, role: Role,
                   exporter: SpanExporter | None = None) -> TracerProvider | None:
    """A tracer provider exporting in batches, or None when no endpoint is configured."""
    if exporter is None:
        if not endpoint_configured(settings):
            return None
        exporter = make_exporter(settings)
    # shutdown_on_exit=False: shutdown() is called by each entry point, so the flush happens
    # while logging and the network still work, and never twice.
    provider = TracerProvider(resource=resource(settings, role), sampler=sampler(settings),
                              shutdown_on_exit=False)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def setup(settings: Settings, role: Role) -> TracerProvider | None:
    """Configure this process's tracing once: the global tracer provider (used by the Celery
    instrumentation, the CoA client and any library) and a span per SQL statement on every
    engine. Later calls return the provider of the first."""
    global _process_provider
    with _lock:
        if _process_provider is not None:
            return _process_provider
        provider = build_provider(settings, role)
        if provider is None:
            return None
        trace.set_tracer_provider(provider)
        trace_sql(Engine, provider.get_tracer("dotmac_isp.sql", __version__))
        _process_provider = provider
    log.info("tracing on", extra={"role": role, "otlp_protocol": protocol(settings),
                                  "otlp_endpoint": settings.otlp_endpoint or "from OTEL_*"})
    return provider


def process_provider() -> TracerProvider | None:
    return _process_provider


def shutdown(timeout_millis: int = 10_000) -> None:
    """Flush the queued spans and stop the export thread (the end of every process)."""
    provider = _process_provider
    if provider is not None:
        provider.force_flush(timeout_millis)
        provider.shutdown()


@contextmanager
def process(settings: Settings, role: Role) -> Iterator[TracerProvider | None]:
    """setup() for the life of a command, and shutdown() (the flush) when it ends."""
    provider = setup(settings, role)
    try:
        yield provider
    finally:
        shutdown()


def instrument_app(app: FastAPI, database: Any, settings: Settings) -> TracerProvider | None:
    """A server span per request (database: the app's Database). In a process set up with
    setup(), its provider is used (and its SQL spans already cover every engine); otherwise,
    if an endpoint is configured, the app gets a provider of its own. Either way it is kept in
    app.state.tracer_provider, and the app's shutdown flushes it: uvicorn ends the process by
    re-raising SIGTERM once the app has stopped, so nothing runs after that."""
    provider = _process_provider
    if provider is None:
        provider = build_provider(settings, "api")
        if provider is None:
            return None
        trace_sql(database.engine, provider.get_tracer("dotmac_isp.sql", __version__))
    app.state.tracer_provider = provider
    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider,
                                       excluded_urls=EXCLUDED_URLS)
    return provider


@contextmanager
def job_span(name: str) -> Iterator[trace.Span]:
    """The root span of a job run outside Celery (the CLI, the in-process scheduler), so its
    SQL and CoA spans form one trace."""
    tracer = trace.get_tracer("dotmac_isp.jobs", __version__)
    with tracer.start_as_current_span(f"job {name}", kind=trace.SpanKind.INTERNAL,
                                      attributes={"dotmac.job": name}) as span:
        yield span
