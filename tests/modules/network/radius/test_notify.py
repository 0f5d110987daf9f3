"""Policy-change notifications over a real Redis: published after commit, heard by every
listener, survived when Redis goes away and comes back, harmless when there is no Redis."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from dotmac_isp.modules.network.radius import notify, signals
from tests.modules.network.radius.redis_server import RedisServer, free_tcp_port, redis_server


@pytest.fixture
def redis_srv() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


class Heard:
    def __init__(self) -> None:
        self.kinds: list[str] = []
        self.event = threading.Event()

    def __call__(self, kind: str) -> None:
        self.kinds.append(kind)
        self.event.set()

    def wait_for(self, kind: str, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while kind not in self.kinds:
            if time.monotonic() > deadline:
                return False
            self.event.wait(0.05)
            self.event.clear()
        return True


def test_every_listener_hears_a_published_change(redis_srv: RedisServer) -> None:
    heard = [Heard(), Heard()]
    listeners = [notify.Listener(redis_srv.url, h).start() for h in heard]
    publisher = notify.Publisher(redis_srv.url)
    try:
        for listener in listeners:
            assert listener.connected.wait(10)
        publisher.publish(signals.POLICY)
        assert publisher.flush()
        for h in heard:
            assert h.wait_for(signals.POLICY)
        assert all(h.kinds == [signals.POLICY] for h in heard)
    finally:
        publisher.close()
        for listener in listeners:
            listener.stop()


def test_a_burst_of_changes_is_coalesced(redis_srv: RedisServer) -> None:
    heard = Heard()
    listener = notify.Listener(redis_srv.url, heard).start()
    publisher = notify.Publisher(redis_srv.url)
    try:
        assert listener.connected.wait(10)
        for _ in range(500):
            publisher.publish(signals.POLICY)
        assert publisher.flush()
        assert heard.wait_for(signals.POLICY)
        assert 1 <= publisher.sent < 50  # one message per wake-up, not one per change
    finally:
        publisher.close()
        listener.stop()


def test_listener_reconnects_and_catches_up_after_redis_restarts(
        redis_srv: RedisServer) -> None:
    heard = Heard()
    listener = notify.Listener(redis_srv.url, heard,
                               kinds=(signals.POLICY, signals.SESSIONS)).start()
    try:
        assert listener.connected.wait(10)
        assert heard.wait_for(signals.POLICY)  # the catch-up after the first connection
        heard.kinds.clear()
        redis_srv.stop()
        deadline = time.monotonic() + 10
        while listener.connected.is_set() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not listener.connected.is_set()
        redis_srv.start()
        assert listener.connected.wait(15)
        # what was published while it was away is lost: it polls at once instead
        assert heard.wait_for(signals.POLICY) and heard.wait_for(signals.SESSIONS)
        publisher = notify.Publisher(redis_srv.url)
        heard.kinds.clear()
        publisher.publish(signals.SESSIONS)
        assert heard.wait_for(signals.SESSIONS)
        publisher.close()
    finally:
        listener.stop()


def test_publishing_without_redis_neither_blocks_nor_raises(
        caplog: pytest.LogCaptureFixture) -> None:
    publisher = notify.Publisher(f"redis://127.0.0.1:{free_tcp_port()}/0")  # nothing there
    try:
        for _ in range(5):
            publisher.publish(signals.POLICY)  # from a committing thread: returns at once
            assert publisher.flush()
        warnings = [r for r in caplog.records if "cannot publish" in r.getMessage()]
        assert len(warnings) == 1  # logged once, not once per change
    finally:
        publisher.close()


def test_bump_publishes_through_the_configured_redis(redis_srv: RedisServer) -> None:
    heard = Heard()
    listener = notify.Listener(redis_srv.url, heard).start()
    signals.configure(redis_srv.url)
    try:
        assert listener.connected.wait(10)
        before = signals.current()
        signals.bump()
        assert signals.current() == before + 1
        assert heard.wait_for(signals.POLICY)
    finally:
        signals.reset()
        listener.stop()
