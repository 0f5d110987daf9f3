"""What the RADIUS server reports: a span for each sampled request with its outcome, none when
sampling is off, and latency and accounting-lag histograms on /metrics."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from dotmac_isp.config import Settings
from dotmac_isp.modules.network.radius.runner import RadiusThread
from dotmac_isp.modules.network.radius.server import RadiusServer
from dotmac_isp.sdks.services import metrics
from dotmac_isp.shared.db import Database
from tests.modules.network.radius.support import (
    radclient,
    radius_settings,
    require_radclient,
    seed_isp,
)


@contextmanager
def traced_server(settings: Settings, database: Database,
                  exporter: InMemorySpanExporter) -> Iterator[RadiusServer]:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    thread = RadiusThread(settings, database, tracer_provider=provider).start()
    assert thread.server is not None
    try:
        yield thread.server
    finally:
        thread.stop()


def _sample(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(f"dotmac_{name}", labels) or 0.0


def _lag_between(low: float, high: float) -> float:
    bucket = "radius_accounting_lag_seconds_bucket"
    return _sample(bucket, le=str(high)) - _sample(bucket, le=str(low))


def test_sampled_requests_become_spans_with_their_outcome(
        radius_db: Database, settings: Settings) -> None:
    require_radclient()
    isp = seed_isp(radius_db, settings)
    exporter = InMemorySpanExporter()
    auth_before = _sample("radius_request_seconds_count", port="auth")
    acct_before = _sample("radius_request_seconds_count", port="acct")
    lag_before = _sample("radius_accounting_lag_seconds_count")
    five_to_ten = _lag_between(5.0, 10.0)
    with traced_server(radius_settings(settings, trace_sample_ratio=1.0), radius_db,
                       exporter) as server:
        replies = radclient(server.auth_port, "auth", [
            {"User-Name": "alice", "User-Password": isp.passwords["alice"],
             "NAS-IP-Address": "127.0.0.1"},
            {"User-Name": "alice", "User-Password": "wrong-password",
             "NAS-IP-Address": "127.0.0.1"}], parallel=1)
        stored = radclient(server.acct_port, "acct", [{
            "Acct-Status-Type": "Start", "User-Name": "alice", "Acct-Session-Id": "T-1",
            "NAS-IP-Address": "127.0.0.1", "Acct-Delay-Time": 7}])
    assert sorted(r.code for r in replies) == ["Access-Accept", "Access-Reject"]
    assert [r.code for r in stored] == ["Accounting-Response"]
    spans = exporter.get_finished_spans()
    auth = sorted((s.attributes or {}).get("radius.result", "") for s in spans
                  if s.name == "Access-Request")
    assert auth == ["accept", "reject"]
    acct = [s for s in spans if s.name == "Accounting-Request"]
    assert len(acct) == 1
    attributes = dict(acct[0].attributes or {})
    assert attributes["radius.result"] == "stored"
    assert attributes["radius.acct_status_type"] == "START"
    assert attributes["radius.nas"] == "bng-1"
    assert attributes["dotmac.tenant_id"] == str(isp.tenant.id)
    assert all(s.end_time and s.start_time and s.end_time >= s.start_time for s in spans)
    assert _sample("radius_request_seconds_count", port="auth") == auth_before + 2
    assert _sample("radius_request_seconds_count", port="acct") == acct_before + 1
    assert _sample("radius_accounting_lag_seconds_count") == lag_before + 1
    # Acct-Delay-Time 7: the record's event was 7 s before it arrived
    assert _lag_between(5.0, 10.0) == five_to_ten + 1


def test_no_spans_when_sampling_is_off(radius_db: Database, settings: Settings) -> None:
    require_radclient()
    isp = seed_isp(radius_db, settings)
    exporter = InMemorySpanExporter()
    with traced_server(radius_settings(settings, trace_sample_ratio=0.0), radius_db,
                       exporter) as server:
        replies = radclient(server.auth_port, "auth", [
            {"User-Name": "alice", "User-Password": isp.passwords["alice"],
             "NAS-IP-Address": "127.0.0.1"}])
    assert [r.code for r in replies] == ["Access-Accept"]
    assert exporter.get_finished_spans() == ()
