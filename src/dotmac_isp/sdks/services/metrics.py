"""The metrics interface modules record through (Prometheus client underneath).

Metrics are created once by name and shared: calling counter() twice with the same name gives
back the same counter, so a module can declare its metrics at import time without clashes.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, TypeVar

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from dotmac_isp.sdks.services import metrics_shared

REGISTRY = CollectorRegistry(auto_describe=True)
CONTENT_TYPE = CONTENT_TYPE_LATEST
NAMESPACE = "dotmac"

_lock = threading.Lock()
_metrics: dict[str, Any] = {}
M = TypeVar("M", Counter, Gauge, Histogram)

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _get_or_create(kind: type[M], name: str, documentation: str, labels: Sequence[str],
                   **kwargs: Any) -> M:
    full_name = f"{NAMESPACE}_{name}"
    with _lock:
        existing = _metrics.get(full_name)
        if existing is not None:
            if not isinstance(existing, kind) or tuple(existing._labelnames) != tuple(labels):
                raise ValueError(f"metric {full_name} already registered with another shape")
            return existing
        metric = kind(full_name, documentation, labelnames=tuple(labels), registry=REGISTRY,
                      **kwargs)
        _metrics[full_name] = metric
        return metric


def counter(name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
    """A monotonically increasing count, e.g. radius_packets_dropped_total."""
    return _get_or_create(Counter, name, documentation, labels)


def gauge(name: str, documentation: str, labels: Sequence[str] = ()) -> Gauge:
    """A value that goes up and down, e.g. online sessions."""
    return _get_or_create(Gauge, name, documentation, labels)


def histogram(name: str, documentation: str, labels: Sequence[str] = (),
              buckets: Sequence[float] = LATENCY_BUCKETS) -> Histogram:
    """A distribution of observed values, e.g. request latency in seconds."""
    return _get_or_create(Histogram, name, documentation, labels, buckets=tuple(buckets))


def render() -> bytes:
    """The whole registry in the Prometheus text format; with several API processes on one
    port, the series of all of them and of their supervisor (metrics_shared)."""
    shared = metrics_shared.directory()
    if shared is not None:
        return metrics_shared.render(shared)
    return generate_latest(REGISTRY)
