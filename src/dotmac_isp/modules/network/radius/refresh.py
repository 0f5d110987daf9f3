"""Keeping a RADIUS server's cache in step with the database."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from dotmac_isp.config import Settings
from dotmac_isp.modules.network.radius import signals
from dotmac_isp.modules.network.radius.cache import PolicyCache, Update
from dotmac_isp.modules.network.radius.notify import Listener

log = logging.getLogger(__name__)
SESSION_RESYNC_SECONDS = 60.0


class Refresher:
    """Keeps the cache in step with the database: the change log every refresh_seconds and at
    once on a signal (a commit in this process, or a Redis message from another), open
    sessions of other processes likewise, and a full reload every full_reload_seconds."""

    def __init__(self, cache: PolicyCache, settings: Settings,
                 load: Callable[[Callable[[], Update | None]], Awaitable[None]],
                 shared_sessions: bool):
        self.cache = cache
        self.settings = settings
        self.radius = settings.radius
        self.load = load
        self.shared_sessions = shared_sessions
        self.listener: Listener | None = None
        self._wake = asyncio.Event()
        self._seen = (signals.current(), signals.sessions_version())

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._wake = asyncio.Event()
        self._seen = (signals.current(), signals.sessions_version())
        url = self.settings.redis_url
        if url:
            signals.configure(url)  # changes made in this process are published too

            def on_message(kind: str) -> None:
                signals.notified(kind)
                loop.call_soon_threadsafe(self._wake.set)

            self.listener = Listener(url, on_message, (signals.POLICY, signals.SESSIONS))
            self.listener.start()

    def stop(self) -> None:
        if self.listener is not None:
            self.listener.stop()
            self.listener = None

    async def _tick(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), 0.2)
        self._wake.clear()

    async def run(self) -> None:
        load, cache = self.load, self.cache
        last_poll = last_full = last_sessions = last_resync = time.monotonic()
        while True:
            await self._tick()
            now = time.monotonic()
            policy, sessions = signals.current(), signals.sessions_version()
            try:
                if now - last_full >= self.radius.full_reload_seconds:
                    last_full = last_poll = now  # a failed load is retried a period later
                    await load(cache.load_all)
                    # measured from the end: a load slower than the period never runs back
                    # to back with the next one
                    last_full = last_poll = time.monotonic()
                elif policy != self._seen[0] or now - last_poll >= self.radius.refresh_seconds:
                    self._seen, last_poll = (policy, self._seen[1]), now
                    await load(cache.load_changes)
                if now - last_resync >= SESSION_RESYNC_SECONDS:
                    last_resync = last_sessions = now
                    await load(cache.load_sessions)
                elif self.shared_sessions and (
                        sessions != self._seen[1]
                        or now - last_sessions >= self.radius.refresh_seconds):
                    self._seen, last_sessions = (self._seen[0], sessions), now
                    await load(cache.load_session_changes)
            except Exception:
                log.exception("RADIUS policy refresh failed; serving the last known policy")
