"""ASGI middleware: request id, access log, request count and latency by route template."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from fastapi.routing import iter_route_contexts
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dotmac_isp.observability.logs import request_id_var
from dotmac_isp.sdks.services import metrics

log = logging.getLogger("dotmac_isp.http")
REQUESTS = metrics.counter("http_requests_total", "HTTP requests by route template",
                           ["method", "route", "status"])
LATENCY = metrics.histogram("http_request_duration_seconds",
                            "HTTP request latency by route template", ["method", "route"])
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")
_QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics", "/static"})


def _full_paths(app: Any) -> dict[int, str]:
    """Route object -> its full template; routes of included routers only know their own part."""
    cached: dict[int, str] | None = getattr(app.state, "route_templates", None)
    if cached is None:
        cached = {id(ctx.original_route): ctx.path for ctx in iter_route_contexts(app.routes)
                  if ctx.path is not None}
        app.state.route_templates = cached
    return cached


def route_template(scope: Scope) -> str:
    """The matched route's path template ('/api/v1/users/{user_id}'), never the raw path."""
    route: Any = scope.get("route")
    if route is None:
        return "unmatched"
    app = scope.get("app")
    if app is not None and hasattr(app, "state"):
        full = _full_paths(app).get(id(route))
        if full:
            return full
    return getattr(route, "path", None) or "/"


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append("X-Request-ID", request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            method = scope["method"]
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(elapsed)
            level = logging.DEBUG if route in _QUIET_ROUTES else logging.INFO
            log.log(level, "%s %s %s", method, scope["path"], status, extra={
                "method": method, "path": scope["path"], "route": route, "status": status,
                "duration_ms": round(elapsed * 1000, 2),
            })
            request_id_var.reset(token)
