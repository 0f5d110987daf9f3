"""ASGI middleware that hardens every response and caps request bodies."""

from __future__ import annotations

import json
from collections.abc import Sequence

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def page_csp(form_targets: Sequence[str] = ()) -> str:
    """Pages load only their own scripts (no inline script, no eval: HTMX works without
    either). Inline style attributes carry computed widths (usage bars), so styles allow them.
    Forms post to this site; `form_targets` are other origins a form's answer may redirect
    to (browsers check form-action on redirects too), such as a payment gateway's page."""
    targets = " ".join(("'self'", *form_targets))
    return ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; "
            f"base-uri 'self'; form-action {targets}; frame-ancestors 'none'")


PAGE_CSP = page_csp()
# The API explorer (Swagger UI) loads its assets from a CDN with an inline bootstrap script.
DOCS_CSP = "frame-ancestors 'none'"
DOCS_PATHS = ("/docs",)
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


class SecurityHeadersMiddleware:
    """No framing, no MIME sniffing, a strict Content-Security-Policy, a short referrer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if str(scope.get("path", "")).startswith(DOCS_PATHS) else PAGE_CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in COMMON_HEADERS.items():
                    headers.setdefault(name, value)
                headers.setdefault("Content-Security-Policy", csp)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _TooLarge(Exception):
    pass


def _content_type(scope: Scope) -> str:
    for name, value in scope.get("headers") or ():
        if name == b"content-type":
            return value.decode("latin-1").split(";", 1)[0].strip().lower()
    return ""


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit % (1024 * 1024) == 0 else f"{limit} bytes"


class BodySizeLimitMiddleware:
    """Refuse request bodies over the limit with 413, whether announced by Content-Length or
    found while streaming a chunked body.

    JSON and form bodies (and bodies without a type, which the API reads as JSON) get the
    small limit; file uploads (multipart forms, CSV and other file bodies) get the larger one,
    below which each upload endpoint applies its own.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes

    def limit_for(self, content_type: str) -> int:
        small = (not content_type or content_type == "application/json"
                 or content_type.endswith("+json")
                 or content_type == "application/x-www-form-urlencoded")
        return self.max_body_bytes if small else self.max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(_content_type(scope))
        announced = _content_length(scope)
        if announced is not None and announced > limit:
            await self._refuse(send, limit)
            return
        received = 0
        too_large = False
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    too_large = True
                    raise _TooLarge()
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if too_large and not response_started:
                return  # the app's answer to the cut-off body is replaced by the 413
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not too_large or response_started:
                raise
        if too_large and not response_started:
            await self._refuse(send, limit)

    @staticmethod
    async def _refuse(send: Send, limit: int) -> None:
        body = json.dumps({"error": "payload_too_large",
                           "detail": f"the request body is larger than the limit of "
                                     f"{_size(limit)}"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
