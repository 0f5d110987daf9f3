"""What the settings and the standard OTEL_* variables choose: exporter, resource, sampler."""

from __future__ import annotations

import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
    OTLPSpanExporter as GrpcExporter,
)
from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
    OTLPSpanExporter as HttpExporter,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import (
    NonRecordingSpan,
    SpanContext,
    TraceFlags,
    set_span_in_context,
)
from pydantic import ValidationError

from dotmac_isp.config import Settings
from dotmac_isp.observability import tracing

OTEL_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                  "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
                  "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_SDK_DISABLED",
                  "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG")


@pytest.fixture(autouse=True)
def _no_otel_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in OTEL_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def _settings(**values: object) -> Settings:
    return Settings(environment="test", **values)  # type: ignore[arg-type]


def test_nothing_is_exported_without_an_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    assert tracing.build_provider(_settings(), "api") is None
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    assert tracing.endpoint_configured(_settings())
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    assert tracing.build_provider(_settings(otlp_endpoint="http://127.0.0.1:4318"),
                                  "api") is None


def test_http_takes_the_collector_base_url() -> None:
    exporter = tracing.make_exporter(_settings(otlp_endpoint="http://collector:4318/"))
    assert isinstance(exporter, HttpExporter)
    assert exporter._endpoint == "http://collector:4318/v1/traces"
    full = tracing.make_exporter(_settings(otlp_endpoint="http://collector:4318/v1/traces"))
    assert full._endpoint == "http://collector:4318/v1/traces"  # type: ignore[attr-defined]


def test_grpc_is_chosen_by_setting_or_by_the_standard_variable(
        monkeypatch: pytest.MonkeyPatch) -> None:
    exporter = tracing.make_exporter(_settings(otlp_endpoint="http://collector:4317",
                                               otlp_protocol="grpc"))
    assert isinstance(exporter, GrpcExporter)
    assert exporter._endpoint == "collector:4317" and exporter._insecure
    exporter.shutdown()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector.example:4317")
    from_env = tracing.make_exporter(_settings())
    assert isinstance(from_env, GrpcExporter)
    assert from_env._endpoint == "collector.example:4317" and not from_env._insecure
    from_env.shutdown()
    # the setting wins over the environment
    assert isinstance(tracing.make_exporter(_settings(otlp_protocol="http/protobuf")),
                      HttpExporter)


def test_an_unknown_protocol_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError):
        _settings(otlp_protocol="http/json")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
    with pytest.raises(ValueError, match="http/json"):
        tracing.protocol(_settings())


def test_each_role_is_a_service_of_the_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    attributes = tracing.resource(_settings(), "worker").attributes
    assert attributes["service.name"] == "dotmac-isp-worker"
    assert attributes["service.namespace"] == "dotmac-isp"
    assert attributes["deployment.environment.name"] == "test"
    assert attributes["dotmac.role"] == "worker"
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "k8s.namespace.name=isp,dotmac.role=x")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "billing-cluster")
    overridden = tracing.resource(_settings(), "worker").attributes
    assert overridden["service.name"] == "billing-cluster"
    assert overridden["k8s.namespace.name"] == "isp"


def test_the_ratio_applies_to_new_traces_and_parents_decide_for_theirs() -> None:
    recorded = InMemorySpanExporter()
    provider = tracing.build_provider(_settings(trace_sample_ratio=0), "api", recorded)
    assert provider is not None
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("new trace"):
        pass
    sampled_parent = SpanContext(trace_id=0x1234, span_id=0x5678, is_remote=True,
                                 trace_flags=TraceFlags(TraceFlags.SAMPLED))
    with tracer.start_as_current_span(
            "continued", context=set_span_in_context(NonRecordingSpan(sampled_parent))):
        pass
    provider.force_flush()
    assert [s.name for s in recorded.get_finished_spans()] == ["continued"]
    provider.shutdown()
    with pytest.raises(ValidationError):
        _settings(trace_sample_ratio=1.5)
