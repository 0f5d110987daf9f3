"""A real SMTP server (aiosmtpd) on loopback that keeps what it receives, counts the
connections that carried it, and can refuse chosen recipients with a 550."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller


class Inbox:
    def __init__(self, refuse: frozenset[str] = frozenset()) -> None:
        self.messages: list[Message] = []
        self.refuse = refuse  # recipients answered "550 mailbox unavailable"
        self._sessions: list[Any] = []  # the SMTP session (one per connection) of each message
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        with self._lock:
            self.messages.append(message_from_bytes(envelope.original_content))
            self._sessions.append(session)
        return "250 Message accepted for delivery"

    @property
    def connections(self) -> int:
        """How many SMTP connections carried the messages received so far."""
        with self._lock:
            return len({id(s) for s in self._sessions})  # kept alive by the list: ids unique

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()
            self._sessions.clear()

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[Message]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def smtp_server(refuse: frozenset[str] = frozenset(),
                port: int | None = None) -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox(refuse)
    port = port or _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
