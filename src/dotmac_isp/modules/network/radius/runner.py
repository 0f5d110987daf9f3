"""Running the RADIUS server: in the foreground (`dotmac-isp radius serve`) or in a thread
beside the HTTP server (`dotmac-isp serve`), each with its own event loop (uvloop when
installed and enabled)."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from opentelemetry.sdk.trace import TracerProvider

from dotmac_isp.config import Settings
from dotmac_isp.modules.network.radius import telemetry
from dotmac_isp.modules.network.radius.server import RadiusServer
from dotmac_isp.shared.db import Database

log = logging.getLogger(__name__)


def new_loop(use_uvloop: bool) -> asyncio.AbstractEventLoop:
    if use_uvloop:
        try:
            import uvloop

            return uvloop.new_event_loop()
        except ImportError:
            log.info("uvloop not installed; using the standard event loop")
    return asyncio.new_event_loop()


def tune_interpreter() -> None:
    """Hand the interpreter lock back and forth more often than every 5 ms: the database
    threads then delay an answer on the event loop by a millisecond at most."""
    sys.setswitchinterval(0.001)


def serve_forever(settings: Settings, database: Database, *, reuse_port: bool = False,
                  worker: int | None = None,
                  ready: Callable[[RadiusServer], None] | None = None) -> None:
    """Run until SIGINT or SIGTERM; with a metrics port, serve /metrics beside it."""
    tune_interpreter()
    loop = new_loop(settings.radius.use_uvloop)
    server = RadiusServer(settings, database, reuse_port=reuse_port, worker=worker,
                          tracer_provider=telemetry.tracer_provider(settings))
    stop = asyncio.Event()
    metrics_server: Any = None

    async def main() -> None:
        nonlocal metrics_server
        await server.start()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        if settings.radius.metrics_port:
            metrics_server = telemetry.serve_metrics(
                settings.host, settings.radius.metrics_port + (worker or 0))
        if ready is not None:
            ready(server)
        await stop.wait()
        await server.stop()

    try:
        loop.run_until_complete(main())
    finally:
        loop.close()
        if metrics_server is not None:
            metrics_server.shutdown()


class RadiusThread:
    """The server on its own loop in a daemon thread; start() waits until it listens."""

    def __init__(self, settings: Settings, database: Database, *,
                 tracer_provider: TracerProvider | None = None):
        self.settings = settings
        self.database = database
        self.tracer_provider = tracer_provider or telemetry.tracer_provider(settings)
        self.server: RadiusServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="dotmac-radius", daemon=True)

    def start(self, timeout: float = 60.0) -> RadiusThread:
        self._thread.start()
        if not self._started.wait(timeout):
            raise RuntimeError("the RADIUS server did not start")
        if self._error is not None:
            raise self._error
        return self

    def _run(self) -> None:
        self._loop = loop = new_loop(self.settings.radius.use_uvloop)
        try:
            loop.run_until_complete(self._main())
        except BaseException as exc:  # reported to start() when it happens there
            self._error = exc
            self._started.set()
        finally:
            loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        self.server = RadiusServer(self.settings, self.database,
                                   tracer_provider=self.tracer_provider)
        await self.server.start()
        self._started.set()
        await self._stop.wait()
        await self.server.stop()

    def call(self, fn: Callable[[], Any]) -> Any:
        """Run fn on the server's loop and return its result (for tests and tools)."""
        assert self._loop is not None
        future: Any = asyncio.run_coroutine_threadsafe(_call(fn), self._loop)
        return future.result(timeout=30)

    def stop(self, timeout: float = 30.0) -> None:
        if self._loop is not None and self._stop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)


async def _call(fn: Callable[[], Any]) -> Any:
    result = fn()
    if asyncio.iscoroutine(result):
        return await result
    return result
