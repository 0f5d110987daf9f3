"""A lean RADIUS codec for the server's hot path.

Decoding splits a datagram into raw attribute values keyed by number (vendor attributes by
(vendor, number)); only the few values the server reads are converted. Replies are assembled
from attribute bytes encoded once per policy (with pyrad and the project's dictionary, see
encode_pairs) plus the authenticators. Building a pyrad Packet per datagram costs about 19 us
to decode and 49 us to answer; this path costs about 4 us and 8 us, which is the difference
between meeting the throughput goal and not.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from collections.abc import Iterable
from typing import Any

from pyrad.packet import Packet

from dotmac_isp.sdks.radius.dictionary import load_dictionary

ACCESS_REQUEST = 1
ACCESS_ACCEPT = 2
ACCESS_REJECT = 3
ACCOUNTING_REQUEST = 4
ACCOUNTING_RESPONSE = 5
STATUS_SERVER = 12
DISCONNECT_REQUEST = 40
DISCONNECT_ACK = 41
DISCONNECT_NAK = 42
COA_REQUEST = 43
COA_ACK = 44
COA_NAK = 45

USER_NAME = 1
USER_PASSWORD = 2
CHAP_PASSWORD = 3
NAS_IP_ADDRESS = 4
NAS_PORT = 5
SERVICE_TYPE = 6
FRAMED_PROTOCOL = 7
FRAMED_IP_ADDRESS = 8
REPLY_MESSAGE = 18
CLASS = 25
VENDOR_SPECIFIC = 26
CALLED_STATION_ID = 30
CALLING_STATION_ID = 31
NAS_IDENTIFIER = 32
PROXY_STATE = 33
ACCT_STATUS_TYPE = 40
ACCT_DELAY_TIME = 41
ACCT_INPUT_OCTETS = 42
ACCT_OUTPUT_OCTETS = 43
ACCT_SESSION_ID = 44
ACCT_AUTHENTIC = 45
ACCT_SESSION_TIME = 46
ACCT_TERMINATE_CAUSE = 49
ACCT_INPUT_GIGAWORDS = 52
ACCT_OUTPUT_GIGAWORDS = 53
EVENT_TIMESTAMP = 55
CHAP_CHALLENGE = 60
NAS_PORT_TYPE = 61
CONNECT_INFO = 77
MESSAGE_AUTHENTICATOR = 80
NAS_PORT_ID = 87
NAS_IPV6_ADDRESS = 95
FRAMED_INTERFACE_ID = 96
FRAMED_IPV6_PREFIX = 97
ERROR_CAUSE = 101
DELEGATED_IPV6_PREFIX = 123
FRAMED_IPV6_ADDRESS = 168
MICROSOFT = 311
MS_CHAP_CHALLENGE = (MICROSOFT, 11)
MS_CHAP2_RESPONSE = (MICROSOFT, 25)

MAX_PACKET = 4096
_ZERO16 = bytes(16)
_MA_PLACEHOLDER = bytes((MESSAGE_AUTHENTICATOR, 18)) + _ZERO16

AttrKey = int | tuple[int, int]


class MalformedPacket(Exception):
    """The datagram is not a well-formed RADIUS packet."""


class Request:
    """A decoded datagram: header fields and raw attribute values."""

    __slots__ = ("attrs", "authenticator", "code", "data", "ident", "ma_offset")

    def __init__(self, data: bytes, code: int, ident: int, authenticator: bytes,
                 attrs: dict[AttrKey, list[bytes]], ma_offset: int):
        self.data = data
        self.code = code
        self.ident = ident
        self.authenticator = authenticator
        self.attrs = attrs
        self.ma_offset = ma_offset  # where the Message-Authenticator value starts, or 0

    def first(self, key: AttrKey) -> bytes | None:
        values = self.attrs.get(key)
        return values[0] if values else None

    def text(self, key: AttrKey) -> str | None:
        value = self.first(key)
        if value is None:
            return None
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedPacket(f"attribute {key} is not UTF-8") from exc

    def integer(self, key: AttrKey) -> int | None:
        value = self.first(key)
        if value is None:
            return None
        if len(value) != 4:
            raise MalformedPacket(f"attribute {key} is not a 4-octet integer")
        return int.from_bytes(value, "big")

    def ipv4(self, key: AttrKey) -> str | None:
        value = self.first(key)
        if value is None:
            return None
        if len(value) != 4:
            raise MalformedPacket(f"attribute {key} is not an IPv4 address")
        return f"{value[0]}.{value[1]}.{value[2]}.{value[3]}"


def decode(data: bytes) -> Request:
    """Split a datagram into header and attributes; MalformedPacket if it is not RADIUS."""
    size = len(data)
    if size < 20:
        raise MalformedPacket("shorter than a RADIUS header")
    code, ident, length = struct.unpack_from("!BBH", data)
    if length < 20 or length > MAX_PACKET or length > size:
        raise MalformedPacket("length field does not match the datagram")
    if length < size:
        data = data[:length]  # octets past Length are padding (RFC 2865 section 3)
    attrs: dict[AttrKey, list[bytes]] = {}
    pos, ma_offset = 20, 0
    while pos < length:
        if pos + 2 > length:
            raise MalformedPacket("truncated attribute header")
        kind, alen = data[pos], data[pos + 1]
        if alen < 2 or pos + alen > length:
            raise MalformedPacket("attribute length out of range")
        value = data[pos + 2:pos + alen]
        if kind == VENDOR_SPECIFIC and alen > 8:
            _split_vendor(value, attrs)
        else:
            if kind == MESSAGE_AUTHENTICATOR:
                if alen != 18 or ma_offset:
                    raise MalformedPacket("bad Message-Authenticator")
                ma_offset = pos + 2
            attrs.setdefault(kind, []).append(value)
        pos += alen
    return Request(data, code, ident, data[4:20], attrs, ma_offset)


def _split_vendor(value: bytes, attrs: dict[AttrKey, list[bytes]]) -> None:
    vendor = int.from_bytes(value[:4], "big")
    pos, end, parts = 4, len(value), []
    while pos < end:
        if pos + 2 > end:
            break
        kind, alen = value[pos], value[pos + 1]
        if alen < 2 or pos + alen > end:
            break
        parts.append(((vendor, kind), value[pos + 2:pos + alen]))
        pos += alen
    else:
        for key, sub in parts:
            attrs.setdefault(key, []).append(sub)
        return
    attrs.setdefault(VENDOR_SPECIFIC, []).append(value)  # not RFC 2865 form: keep it raw


def message_authenticator_ok(request: Request, secret: bytes) -> bool:
    """Check the Message-Authenticator (RFC 3579 3.2; RFC 5176 3.3 for requests whose
    authenticator is computed over the packet)."""
    off, data = request.ma_offset, request.data
    if not off:
        return False
    signed = data[:off] + _ZERO16 + data[off + 16:]
    if request.code in (ACCOUNTING_REQUEST, DISCONNECT_REQUEST, COA_REQUEST):
        signed = signed[:4] + _ZERO16 + signed[20:]
    expected = hmac.new(secret, signed, hashlib.md5).digest()
    return hmac.compare_digest(expected, data[off:off + 16])


def request_authenticator_ok(request: Request, secret: bytes) -> bool:
    """Accounting, CoA and Disconnect requests carry MD5(header, zeros, attributes, secret)."""
    data = request.data
    expected = hashlib.md5(data[:4] + _ZERO16 + data[20:] + secret).digest()
    return hmac.compare_digest(expected, request.authenticator)


def pap_password(request: Request, secret: bytes) -> bytes | None:
    """The User-Password in clear (RFC 2865 5.2), without its zero padding."""
    hidden = request.first(USER_PASSWORD)
    if hidden is None:
        return None
    if not hidden or len(hidden) % 16 or len(hidden) > 128:
        raise MalformedPacket("User-Password is not a multiple of 16 octets")
    out = bytearray()
    last = request.authenticator
    for start in range(0, len(hidden), 16):
        block = hidden[start:start + 16]
        key = hashlib.md5(secret + last).digest()
        out += (int.from_bytes(block, "big") ^ int.from_bytes(key, "big")).to_bytes(16, "big")
        last = block
    return bytes(out).rstrip(b"\x00")


def chap_ok(request: Request, password: bytes) -> bool:
    """Check a CHAP-Password (RFC 2865 2.2) against the known password."""
    chap = request.first(CHAP_PASSWORD)
    if chap is None or len(chap) != 17:
        return False
    challenge = request.first(CHAP_CHALLENGE) or request.authenticator
    expected = hashlib.md5(chap[:1] + password + challenge).digest()
    return hmac.compare_digest(expected, chap[1:])


def encode_pairs(pairs: Iterable[tuple[str, Any]]) -> bytes:
    """Encode (attribute name, value) pairs with the project's dictionary, once per policy.

    KeyError for an unknown attribute name, ValueError/TypeError for a value that does not
    fit its type."""
    packet = Packet(code=ACCESS_ACCEPT, id=0, secret=b"-", authenticator=_ZERO16,
                    dict=load_dictionary())
    for name, value in pairs:
        packet.AddAttribute(name, value)
    return packet.ReplyPacket()[20:]


def encode_raw(kind: int, value: bytes) -> bytes:
    if len(value) > 253:
        raise ValueError("attribute value longer than 253 octets")
    return bytes((kind, len(value) + 2)) + value


def response(code: int, request: Request, secret: bytes, attributes: bytes = b"",
             *, sign: bool = False) -> bytes:
    """A reply to request: Proxy-State copied back (RFC 2865 5.33), optionally signed with a
    Message-Authenticator (always for Access-Accept/Reject, as BlastRADIUS advises)."""
    for state in request.attrs.get(PROXY_STATE, ()):
        attributes += encode_raw(PROXY_STATE, state)
    if sign:
        attributes = _MA_PLACEHOLDER + attributes
    length = 20 + len(attributes)
    if length > MAX_PACKET:
        raise ValueError("reply longer than 4096 octets")
    header = struct.pack("!BBH", code, request.ident, length)
    if sign:
        mac = hmac.new(secret, header + request.authenticator + attributes,
                       hashlib.md5).digest()
        attributes = _MA_PLACEHOLDER[:2] + mac + attributes[18:]
    authenticator = hashlib.md5(header + request.authenticator + attributes + secret).digest()
    return header + authenticator + attributes
