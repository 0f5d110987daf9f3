"""UDP plumbing of the RADIUS server: sockets, the per-port counters and the duplicate cache."""

from __future__ import annotations

import asyncio
import ctypes
import logging
import socket
import struct
import time
from collections.abc import Callable
from itertools import islice
from typing import Any

from dotmac_isp.sdks.services import metrics

log = logging.getLogger(__name__)
PACKETS = metrics.counter("radius_packets_total", "RADIUS packets by port and outcome",
                          ["port", "outcome"])


class Counters:
    """Pre-bound metric children: labels() costs more than the increment itself."""

    def __init__(self, port: str):
        self.port = port
        self._children: dict[str, Any] = {}

    def inc(self, outcome: str, amount: int = 1) -> None:
        child = self._children.get(outcome)
        if child is None:
            child = self._children[outcome] = PACKETS.labels(self.port, outcome)
        child.inc(amount)


class DuplicateCache:
    """Replies by (source, identifier, authenticator): a retransmission gets the same answer.

    Keys, replies and expiry times are bytes and floats in plain dicts, which the garbage
    collector does not track: a cache of a few hundred thousand entries then costs nothing at
    each collection (tuples would be scanned every time and show up as latency spikes).

    Keys are chosen by whoever sends (source port, identifier, authenticator), so the cache
    holds at most `limit` entries: past that the oldest tenth is dropped at once."""

    def __init__(self, seconds: float, limit: int = 200_000):
        self.seconds = seconds
        self.limit = limit
        self._replies: dict[bytes, bytes] = {}
        self._expires: dict[bytes, float] = {}

    @staticmethod
    def key(addr: Any, data: bytes) -> bytes:
        return f"{addr[0]}|{addr[1]}|".encode() + data[1:2] + data[4:20]

    def get(self, key: bytes) -> bytes | None:
        expires = self._expires.get(key)
        if expires is None or expires < time.monotonic():
            return None
        return self._replies.get(key)

    def put(self, key: bytes, reply: bytes) -> None:
        if self.seconds <= 0:
            return
        if len(self._expires) >= self.limit:
            for old in list(islice(self._expires, self.limit // 10)):
                self.forget(old)
        if key in self._expires:
            del self._expires[key]  # re-insert: the order of _expires is the order of expiry
        self._expires[key] = time.monotonic() + self.seconds
        self._replies[key] = reply

    def forget(self, key: bytes) -> None:
        self._expires.pop(key, None)
        self._replies.pop(key, None)

    def __len__(self) -> int:
        return len(self._expires)

    def prune(self) -> None:
        now, expires = time.monotonic(), self._expires
        while expires:
            key = next(iter(expires))
            if expires[key] >= now:
                break
            self.forget(key)


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, handler: Callable[[bytes, Any], None]):
        self.handler = handler

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.handler(data, addr)

    def error_received(self, exc: Exception) -> None:
        log.debug("RADIUS socket error", extra={"error": str(exc)})


def protocol_factory(handler: Callable[[bytes, Any], None]) -> Callable[[], _Protocol]:
    return lambda: _Protocol(handler)


def bind_udp(host: str, port: int, receive_buffer: int, reuse_port: bool = False
             ) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        if reuse_port and hasattr(socket, "SO_REUSEPORT"):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


# SO_ATTACH_REUSEPORT_CBPF (Linux 4.5+): a classic BPF program picks the socket of the group.
SO_ATTACH_REUSEPORT_CBPF = 51


def spread_by_identifier(sock: socket.socket, processes: int) -> bool:
    """Send each datagram to socket number (RADIUS Identifier mod processes) of the port's
    SO_REUSEPORT group, instead of by the hash of source address and port.

    A NAS sends from one or a few source ports, so the kernel's default would hand all its
    requests to one process; the Identifier changes with every request, so its load spreads
    across all of them, and a retransmission (same Identifier) still reaches the process that
    answered it first. False where the kernel does not offer it (the default then applies)."""
    program = [
        (0x30, 0, 0, 1),  # A = payload[1], the Identifier   (BPF_LD | BPF_B | BPF_ABS)
        (0x94, 0, 0, processes),  # A %= processes          (BPF_ALU | BPF_MOD | BPF_K)
        (0x16, 0, 0, 0),  # return A: the socket's index    (BPF_RET | BPF_A)
    ]
    code = b"".join(struct.pack("HBBI", *instruction) for instruction in program)
    buffer = ctypes.create_string_buffer(code)
    fprog = struct.pack("@HP", len(program), ctypes.addressof(buffer))
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, fprog)
    except OSError as exc:
        log.info("RADIUS requests spread by source port (no SO_ATTACH_REUSEPORT_CBPF)",
                 extra={"error": str(exc)})
        return False
    return True
