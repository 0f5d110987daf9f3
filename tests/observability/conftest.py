"""A process-wide tracer provider recording into memory, put back as it was afterwards; a
migrated database of a test's own, for processes and threads that commit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.util._once import Once

from dotmac_isp import db_migrate
from tests.conftest import BACKENDS
from tests.support.postgres import scratch_database


@pytest.fixture
def recorded_spans() -> Iterator[InMemorySpanExporter]:
    """The global provider records every span here for the test's length.

    The OpenTelemetry API lets a process set its provider once; its own test utilities reset
    the same two module globals to give each test a fresh one."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    saved = trace._TRACER_PROVIDER_SET_ONCE, trace._TRACER_PROVIDER
    trace._TRACER_PROVIDER_SET_ONCE, trace._TRACER_PROVIDER = Once(), None
    trace.set_tracer_provider(provider)
    try:
        yield exporter
    finally:
        trace._TRACER_PROVIDER_SET_ONCE, trace._TRACER_PROVIDER = saved
        provider.shutdown()


@pytest.fixture(params=BACKENDS)
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path,
                   _postgres: Any) -> Iterator[str]:
    """A migrated database of its own: the server process commits what it writes."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'traced.db'}"
        db_migrate.upgrade(url)
        yield url
        return
    server, reason = _postgres
    if server is None:
        pytest.skip(f"PostgreSQL unavailable: {reason}")
    with scratch_database(server) as url:
        db_migrate.upgrade(url)
        yield url
