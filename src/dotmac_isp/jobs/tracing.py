"""Traces across Celery: the process that queues a job (the API, beat) and the worker that
runs it are instrumented with opentelemetry-instrumentation-celery, so a task's span is a
child of the request that queued it. Export itself is the observability package's."""

from __future__ import annotations

from opentelemetry.instrumentation.celery import CeleryInstrumentor
from opentelemetry.sdk.trace import TracerProvider

from dotmac_isp.config import Settings
from dotmac_isp.observability import tracing
from dotmac_isp.observability.tracing import Role


def instrument_celery(provider: TracerProvider | None) -> None:
    """Propagate the current trace into the messages this process sends and receives."""
    if provider is None:
        return
    instrumentor = CeleryInstrumentor()
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()  # e.g. a prefork child: its parent's exporter is gone
    instrumentor.instrument(tracer_provider=provider)


def worker_provider(settings: Settings, role: Role) -> TracerProvider | None:
    """The tracer provider of a process without an HTTP app (a worker), set up as every
    process is (exporter, sampler, SQL spans on every engine); None without an endpoint."""
    return tracing.setup(settings, role)
