"""OTLP trace receivers on loopback (no collector binary can be installed here): HTTP POST
/v1/traces and the gRPC TraceService, both decoding the real ExportTraceServiceRequest; and
our processes started as an operator would, exporting to such a receiver."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc
import httpx
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None


@dataclass(frozen=True)
class ReceivedSpan:
    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    kind: int  # opentelemetry.proto.trace.v1.Span.SpanKind
    attributes: dict[str, Any]
    resource: dict[str, Any]

    @property
    def is_server(self) -> bool:
        return self.kind == Span.SPAN_KIND_SERVER


@dataclass
class Receiver:
    endpoint: str  # what DOTMAC_OTLP_ENDPOINT is set to
    protocol: str
    spans: list[ReceivedSpan] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, payload: bytes, path: str) -> None:
        request = ExportTraceServiceRequest()
        request.ParseFromString(payload)
        received = []
        for resource_spans in request.resource_spans:
            resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    received.append(ReceivedSpan(
                        span.trace_id.hex(), span.span_id.hex(), span.parent_span_id.hex(),
                        span.name, span.kind, {a.key: _value(a.value) for a in span.attributes},
                        resource))
        with self._lock:
            self.spans.extend(received)
            self.paths.append(path)

    def wait_for(self, found: Callable[[list[ReceivedSpan]], bool],
                 timeout: float = 15.0) -> list[ReceivedSpan]:
        """The spans received, once `found` holds for them (or the timeout passed)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                spans = list(self.spans)
            if found(spans) or time.monotonic() > deadline:
                return spans
            time.sleep(0.05)

    def trace(self, trace_id: str) -> list[ReceivedSpan]:
        with self._lock:
            return [s for s in self.spans if s.trace_id == trace_id]


@contextmanager
def http_receiver() -> Iterator[Receiver]:
    """OTLP/HTTP: POST /v1/traces with a protobuf body, answered with an empty response."""
    receiver = Receiver("", "http/protobuf")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            assert self.headers["Content-Type"] == "application/x-protobuf"
            receiver.take(body, self.path)
            payload = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextmanager
def grpc_receiver() -> Iterator[Receiver]:
    """OTLP/gRPC: the TraceService of opentelemetry-proto, plain text on loopback."""
    receiver = Receiver("", "grpc")

    class Service(trace_service_pb2_grpc.TraceServiceServicer):
        def Export(self, request: ExportTraceServiceRequest,
                   context: grpc.ServicerContext) -> ExportTraceServiceResponse:
            receiver.take(request.SerializeToString(), context.peer())
            return ExportTraceServiceResponse()

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Service(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    receiver.endpoint = f"http://127.0.0.1:{port}"
    try:
        yield receiver
    finally:
        server.stop(grace=None).wait(5)


RECEIVERS = {"http/protobuf": http_receiver, "grpc": grpc_receiver}


SECRET = "otlp-test-secret-key-0123456789abcdef"  # DOTMAC_SECRET_KEY of the processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(url: str, receiver: Receiver, **extra: str) -> dict[str, str]:
    """What an operator sets for a process of ours exporting to the receiver."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "DOTMAC_"))}
    env.update({
        "DOTMAC_DATABASE_URL": url, "DOTMAC_SECRET_KEY": SECRET, "DOTMAC_ENVIRONMENT": "test",
        "DOTMAC_LOG_LEVEL": "WARNING", "DOTMAC_OTLP_ENDPOINT": receiver.endpoint,
        "DOTMAC_OTLP_PROTOCOL": receiver.protocol,
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p.endswith("src")),
    })
    env.update(extra)
    return env


def start_server(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """`dotmac-isp serve` (no RADIUS) on a free port, once /healthz answers."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "dotmac_isp.cli", "serve", "--no-radius", "--no-migrate",
         "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"serve exited: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            if httpx.get(f"{base}/healthz", timeout=0.5).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    process.wait(10)
    raise RuntimeError("serve did not answer /healthz within 60 s")


def stop(process: subprocess.Popen[Any], seconds: float = 30) -> None:
    """SIGTERM, as an orchestrator stops a process (its spans go out in the shutdown flush);
    killed if it has not ended within `seconds`."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)
        raise


def ancestors(span: ReceivedSpan, trace: list[ReceivedSpan]) -> list[ReceivedSpan]:
    """The span's parent, its parent's parent, ... as far as the trace holds them."""
    by_id = {s.span_id: s for s in trace}
    chain = []
    while span.parent_span_id and span.parent_span_id in by_id:
        span = by_id[span.parent_span_id]
        chain.append(span)
    return chain
