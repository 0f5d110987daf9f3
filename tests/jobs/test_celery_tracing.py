"""A job queued inside a traced request carries the request's trace in its Celery message
(a real redis-server as broker), so the worker's task span is the request's child."""

from __future__ import annotations

import json

import redis
from opentelemetry.instrumentation.celery import CeleryInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from dotmac_isp.config import Settings
from dotmac_isp.jobs import dispatch
from dotmac_isp.jobs.celery_app import QUEUE, create_celery
from dotmac_isp.jobs.tracing import instrument_celery
from tests.support.redis_server import redis_server


def test_the_queued_message_carries_the_requests_trace(settings: Settings) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with redis_server() as url:
        dispatch.send_to(create_celery(settings.model_copy(update={"broker_url": url})))
        instrument_celery(provider)
        try:
            with provider.get_tracer("test").start_as_current_span("POST /api/v1/suspend") as req:
                assert dispatch.run_job_soon("radius.deliver_coa")
            trace_id = f"{req.get_span_context().trace_id:032x}"
            [raw] = redis.Redis.from_url(url).lrange(QUEUE, 0, -1)
        finally:
            CeleryInstrumentor().uninstrument()
            dispatch.send_to(None)
    headers = json.loads(raw)["headers"]
    assert headers["task"] == "radius.deliver_coa"
    assert headers["traceparent"].split("-")[1] == trace_id
    publish = [s for s in exporter.get_finished_spans() if s.name.startswith("apply_async")]
    assert publish and publish[0].parent is not None
    assert publish[0].parent.span_id == req.get_span_context().span_id
