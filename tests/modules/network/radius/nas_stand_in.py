"""A NAS stand-in on loopback: answers CoA/Disconnect like a router would (ACK, NAK with an
Error-Cause) or stays silent like a dead one, and keeps every request it received."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pyrad.packet import CoAPacket

from dotmac_isp.sdks.radius import codec
from dotmac_isp.sdks.radius.dictionary import load_dictionary
from tests.modules.network.radius.support import SECRET


@dataclass
class NasStandIn:
    port: int
    answer: str = "ACK"  # "ACK", "NAK" or "silent"
    error_cause: int | None = None
    received: list[dict[str, Any]] = field(default_factory=list)

    def session_ids(self) -> list[str]:
        return [r["Acct-Session-Id"][0] for r in self.received]


@contextmanager
def nas_stand_in(answer: str = "ACK", secret: str = SECRET) -> Iterator[NasStandIn]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    nas = NasStandIn(sock.getsockname()[1], answer)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, addr = sock.recvfrom(4096)
            except TimeoutError:
                continue
            request = CoAPacket(packet=data, secret=secret.encode(), dict=load_dictionary())
            assert request.VerifyCoARequest()
            nas.received.append({"code": request.code, **{
                str(k): request[k] for k in request.keys()  # noqa: SIM118 (decoded names)
                if isinstance(k, str)}})
            if nas.answer == "silent":
                continue
            reply = request.CreateReply()
            if nas.answer == "NAK":
                reply.code = codec.DISCONNECT_NAK if request.code == codec.DISCONNECT_REQUEST \
                    else codec.COA_NAK
                if nas.error_cause:
                    reply["Error-Cause"] = nas.error_cause
            sock.sendto(reply.ReplyPacket(), addr)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield nas
    finally:
        stop.set()
        thread.join(5)
        sock.close()
