"""The Dynamic Authorization client (RFC 5176): CoA-Request and Disconnect-Request to a NAS.

Packets are built and replies verified with pyrad and the project's dictionary. Sending
blocks the calling thread for at most timeout * (retries + 1) seconds; callers run it off any
event loop.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from pyrad.packet import CoAPacket, PacketError

from dotmac_isp.sdks.core.exceptions import RadiusError
from dotmac_isp.sdks.radius import codec
from dotmac_isp.sdks.radius.dictionary import load_dictionary

KINDS = {"disconnect": codec.DISCONNECT_REQUEST, "coa": codec.COA_REQUEST}
ANSWERS = {codec.DISCONNECT_ACK: "ACK", codec.DISCONNECT_NAK: "NAK",
           codec.COA_ACK: "ACK", codec.COA_NAK: "NAK"}


@dataclass(frozen=True)
class DynamicAuthResult:
    """What the NAS answered: ACK or NAK (with its Error-Cause), or nothing at all."""

    answer: str  # "ACK", "NAK" or "timeout"
    error_cause: int | None = None
    error_cause_name: str = ""
    reply_message: str = ""
    attempts: int = 1

    @property
    def acknowledged(self) -> bool:
        return self.answer == "ACK"


def build_request(kind: str, secret: bytes, attributes: list[tuple[str, Any]]) -> CoAPacket:
    """A CoA-Request or Disconnect-Request with a Message-Authenticator."""
    if kind not in KINDS:
        raise RadiusError(f"unknown dynamic authorization request {kind!r}")
    packet = CoAPacket(code=KINDS[kind], id=int.from_bytes(os.urandom(1), "big"),
                       secret=secret, dict=load_dictionary())
    for name, value in attributes:
        packet.AddAttribute(name, value)
    packet.message_authenticator = True
    return packet


def send_dynamic_request(host: str, port: int, secret: bytes, kind: str,
                         attributes: list[tuple[str, Any]], *, timeout: float = 3.0,
                         retries: int = 2) -> DynamicAuthResult:
    """Send one request, retransmitting the same packet on silence; the verified answer.

    The exchange is a client span, child of the current one (the job or request that sends
    it), with the NAS address, the kind and the answer."""
    # the global provider's tracer, looked up per send (a no-op until tracing is set up)
    with trace.get_tracer("dotmac_isp.radius.coa").start_as_current_span(
            f"RADIUS {kind}", kind=SpanKind.CLIENT, record_exception=True,
            attributes={"rpc.system": "radius", "radius.kind": kind,
                        "server.address": host, "server.port": port}) as span:
        result = _exchange(host, port, secret, kind, attributes, timeout, retries)
        span.set_attribute("radius.answer", result.answer)
        span.set_attribute("radius.attempts", result.attempts)
        if result.error_cause is not None:
            span.set_attribute("radius.error_cause", result.error_cause)
        if not result.acknowledged:
            span.set_status(Status(StatusCode.ERROR, f"NAS answered {result.answer}"))
        return result


def _exchange(host: str, port: int, secret: bytes, kind: str,
              attributes: list[tuple[str, Any]], timeout: float,
              retries: int) -> DynamicAuthResult:
    packet = build_request(kind, secret, attributes)
    raw = packet.RequestPacket()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.connect((host, port))
        for attempt in range(1, retries + 2):
            sock.send(raw)
            deadline = time.monotonic() + timeout
            while (left := deadline - time.monotonic()) > 0:
                sock.settimeout(left)
                try:
                    data = sock.recv(codec.MAX_PACKET)
                except TimeoutError:
                    break
                except OSError as exc:  # e.g. ICMP port unreachable
                    raise RadiusError(f"NAS {host}:{port} unreachable: {exc}") from exc
                result = _answer(packet, data, attempt)
                if result is not None:
                    return result
    return DynamicAuthResult("timeout", attempts=retries + 1)


def _answer(packet: CoAPacket, data: bytes, attempt: int) -> DynamicAuthResult | None:
    try:
        reply = packet.CreateReply(packet=data)
    except (PacketError, ValueError, KeyError, IndexError):
        return None
    if reply.code not in ANSWERS or not packet.VerifyReply(reply, data):
        return None  # not ours, or forged: keep listening until the deadline
    cause, cause_name, message = None, "", ""
    if codec.ERROR_CAUSE in reply:
        raw = reply[codec.ERROR_CAUSE][0]
        cause = int.from_bytes(raw, "big") if len(raw) == 4 else None
        attr = load_dictionary().attributes["Error-Cause"]
        if cause is not None and attr.values.HasBackward(raw):
            cause_name = str(attr.values.GetBackward(raw))
    if codec.REPLY_MESSAGE in reply:
        message = reply[codec.REPLY_MESSAGE][0].decode("utf-8", "replace")
    return DynamicAuthResult(ANSWERS[reply.code], cause, cause_name, message, attempt)
