"""Redis pub/sub between processes: "the policy (or the sessions) changed, poll now".

The publisher runs in a thread of its own, so a commit never waits on Redis, and coalesces a
burst (a bulk suspension) into one message. The listener runs in a thread of every RADIUS
process and reconnects with backoff. Both log a failure once and then stay quiet until Redis
is back: without Redis the periodic poll of the change log still brings every change.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import redis

from dotmac_isp.sdks.services import metrics

log = logging.getLogger(__name__)
CONNECTED = metrics.gauge("radius_redis_connected",
                          "1 while this process listens for RADIUS policy changes on Redis")
CHANNEL = "dotmac:radius:changes"
CONNECT_TIMEOUT = 0.5
BACKOFF_FIRST = 0.5
BACKOFF_MAX = 30.0
# One message per kind at most this often: a storm of accounting Starts publishes little.
MIN_INTERVAL = 0.05


def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT,
                                socket_timeout=CONNECT_TIMEOUT, health_check_interval=15)


def describe(url: str) -> str:
    """The URL without its password, for logs."""
    if "@" in url:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://{rest.rpartition('@')[2]}"
    return url


class Publisher:
    """Sends kinds of change on CHANNEL from a daemon thread."""

    def __init__(self, url: str):
        self.url = url
        self._pending: set[str] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._busy = False
        self._failing = False
        self._retry_at = 0.0
        self._backoff = BACKOFF_FIRST
        self.sent = 0
        self._thread = threading.Thread(target=self._run, name="dotmac-radius-publish",
                                        daemon=True)
        self._thread.start()

    def publish(self, kind: str) -> None:
        with self._lock:
            self._pending.add(kind)
        self._wake.set()

    def close(self, timeout: float = 2.0) -> None:
        """Send what is pending (for up to `timeout`), then stop."""
        self.flush(timeout)
        self._closed = True
        self._wake.set()
        self._thread.join(timeout)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until what is pending went out (or was dropped); for tests and shutdown."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not self._pending and not self._busy:
                    return True
            time.sleep(0.01)
        return False

    def _run(self) -> None:
        client: redis.Redis | None = None
        while not self._closed:
            self._wake.wait()
            self._wake.clear()
            with self._lock:
                kinds, self._pending = self._pending, set()
                self._busy = bool(kinds)
            try:
                if not self._closed and kinds:
                    client = self._send(client, kinds)
            finally:
                self._busy = False

    def _send(self, client: redis.Redis | None, kinds: set[str]) -> redis.Redis | None:
        if self._failing and time.monotonic() < self._retry_at:
            return client  # dropped: the regular poll brings the change
        try:
            client = client or _client(self.url)
            for kind in sorted(kinds):
                client.publish(CHANNEL, kind)
            self.sent += len(kinds)
        except redis.RedisError as exc:
            self._failed(exc)
            return None
        if self._failing:
            log.info("Redis reachable again; RADIUS policy changes are published",
                     extra={"redis": describe(self.url)})
        self._failing, self._backoff = False, BACKOFF_FIRST
        time.sleep(MIN_INTERVAL)
        return client

    def _failed(self, exc: Exception) -> None:
        if not self._failing:
            log.warning("cannot publish RADIUS policy changes to Redis; the RADIUS servers "
                        "see them at their next poll", extra={"redis": describe(self.url),
                                                             "error": str(exc)})
        self._failing = True
        self._retry_at = time.monotonic() + self._backoff
        self._backoff = min(self._backoff * 2, BACKOFF_MAX)


class Listener:
    """Calls on_message(kind) for each message on CHANNEL, from a daemon thread; after each
    (re)connection it calls on_message for every kind, since messages may have been lost."""

    def __init__(self, url: str, on_message: Callable[[str], None],
                 kinds: tuple[str, ...] = ()):
        self.url = url
        self.on_message = on_message
        self.kinds = kinds
        self.connected = threading.Event()
        self.received = 0
        self._failing = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dotmac-radius-listen",
                                        daemon=True)

    def start(self) -> Listener:
        self._thread.start()
        return self

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        self._backoff = BACKOFF_FIRST
        while not self._stop.is_set():
            try:
                self._listen()
            except (redis.RedisError, OSError) as exc:
                self.connected.clear()
                CONNECTED.set(0)
                if not self._failing:
                    log.warning("no Redis channel for RADIUS policy changes; polling the "
                                "change log only until it is back",
                                extra={"redis": describe(self.url), "error": str(exc)})
                self._failing = True
                self._stop.wait(self._backoff)
                self._backoff = min(self._backoff * 2, BACKOFF_MAX)
        self.connected.clear()
        CONNECTED.set(0)

    def _listen(self) -> None:
        client = _client(self.url)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(CHANNEL)
            # the subscription is confirmed by the first reply; only then is nothing missed
            pubsub.get_message(timeout=CONNECT_TIMEOUT)
            self.connected.set()
            CONNECTED.set(1)
            log.info("listening for RADIUS policy changes on Redis",
                     extra={"redis": describe(self.url)})
            self._failing, self._backoff = False, BACKOFF_FIRST
            for kind in self.kinds:  # what was published while we were away
                self.on_message(kind)
            while not self._stop.is_set():
                message = pubsub.get_message(timeout=0.5)
                if message is None or message.get("type") != "message":
                    continue
                data = message.get("data")
                kind = data.decode() if isinstance(data, bytes) else str(data)
                self.received += 1
                self.on_message(kind)
        finally:
            pubsub.close()
            client.close()
