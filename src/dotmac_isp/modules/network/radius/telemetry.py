"""What the RADIUS server tells Prometheus and OpenTelemetry about each request.

Counts by port and outcome are radius_packets_total (server.py). Here: how long a request
took until its answer left (for accounting, until its batch committed), how far accounting
lags behind the NAS's event time, which worker a process is, and spans for a sampled share of
requests. The sampling decision is one random() call, so an unsampled request costs nothing
more; a sampled one is recorded after the fact with its measured start and end.
"""

from __future__ import annotations

import logging
import os
import random
import time
from typing import Any

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind, Status, StatusCode
from prometheus_client import start_http_server

from dotmac_isp import __version__
from dotmac_isp.config import Settings
from dotmac_isp.observability import tracing
from dotmac_isp.sdks.services import metrics

log = logging.getLogger(__name__)
REQUEST_SECONDS = metrics.histogram(
    "radius_request_seconds", "From a RADIUS request's arrival to its answer (accounting: "
    "after the commit)", ["port"],
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
             0.5, 1.0, 2.5))
ACCT_LAG_SECONDS = metrics.histogram(
    "radius_accounting_lag_seconds", "From an accounting record's event time (Event-Timestamp,"
    " Acct-Delay-Time) to its commit", (),
    buckets=(0.01, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0))
WORKER = metrics.gauge("radius_worker_info", "This RADIUS process: its worker index and pid",
                       ["worker", "pid"])
CODES = {1: "Access-Request", 4: "Accounting-Request", 12: "Status-Server"}


def tracer_provider(settings: Settings) -> TracerProvider | None:
    """The process's tracer provider (exporter and resource as every process has them) for
    sampled RADIUS spans; None when no OTLP endpoint is set or sampling is off. A sampled
    request is a root span, so the process sampler (DOTMAC_TRACE_SAMPLE_RATIO) applies on
    top of the RADIUS ratio."""
    if settings.radius.trace_sample_ratio <= 0:
        return None
    return tracing.setup(settings, "radius")


class Telemetry:
    def __init__(self, ratio: float, provider: TracerProvider | None):
        self.ratio = ratio if provider is not None else 0.0
        self.provider = provider
        self.tracer = provider.get_tracer("dotmac_isp.radius", __version__) if provider else None
        self.auth_seconds = REQUEST_SECONDS.labels("auth")
        self.acct_seconds = REQUEST_SECONDS.labels("acct")

    def sampled(self) -> bool:
        ratio = self.ratio
        return ratio > 0 and (ratio >= 1 or random.random() < ratio)

    def span(self, name: str, seconds: float, attributes: dict[str, Any],
             error: bool = False) -> None:
        """A finished server span of a request that took `seconds` until now."""
        if self.tracer is None:
            return
        end = time.time_ns()
        span = self.tracer.start_span(name, kind=SpanKind.SERVER,
                                      start_time=end - int(seconds * 1e9),
                                      attributes={k: v for k, v in attributes.items()
                                                  if v is not None})
        if error:
            span.set_status(Status(StatusCode.ERROR))
        span.end(end_time=end)

    def shutdown(self) -> None:
        if self.provider is not None:
            self.provider.force_flush()  # the process's provider: its owner shuts it down


def announce(worker: int | None) -> None:
    """Say which worker this process is (a gauge and the metrics it labels)."""
    WORKER.labels(str(worker if worker is not None else 0), str(os.getpid())).set(1)


def serve_metrics(host: str, port: int) -> Any:
    """Serve /metrics for this process (`radius serve` has no HTTP server of its own)."""
    server, _thread = start_http_server(port, addr=host, registry=metrics.REGISTRY)
    log.info("RADIUS metrics on http", extra={"host": host, "port": port})
    return server
