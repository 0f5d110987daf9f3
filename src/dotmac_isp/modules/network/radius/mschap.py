"""MS-CHAPv2 (RFC 2759, carried in RADIUS as RFC 2548 Microsoft attributes).

OpenSSL 3 no longer offers MD4, which MS-CHAP needs for the NT password hash, so a small MD4
(RFC 1320) lives here. Single DES is TripleDES with three equal keys.
"""

from __future__ import annotations

import hashlib
import hmac
import struct

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes

from dotmac_isp.sdks.radius import codec
from dotmac_isp.sdks.radius.codec import Request

_MAGIC1 = b"Magic server to client signing constant"
_MAGIC2 = b"Pad to make it do more than one iteration"
_MASK = 0xFFFFFFFF


def _rotl(value: int, shift: int) -> int:
    value &= _MASK
    return ((value << shift) | (value >> (32 - shift))) & _MASK


def md4(data: bytes) -> bytes:
    """MD4 (RFC 1320)."""
    message = data + b"\x80" + b"\x00" * ((55 - len(data)) % 64) + struct.pack(
        "<Q", len(data) * 8)
    h = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476]
    for offset in range(0, len(message), 64):
        x = struct.unpack("<16I", message[offset:offset + 64])
        a, b, c, d = h
        for i in range(16):
            k, s = i, (3, 7, 11, 19)[i % 4]
            a, b, c, d = d, _rotl(a + ((b & c) | (~b & d)) + x[k], s), b, c
        for i in range(16):
            k, s = (i % 4) * 4 + i // 4, (3, 5, 9, 13)[i % 4]
            a, b, c, d = d, _rotl(a + ((b & c) | (b & d) | (c & d)) + x[k] + 0x5A827999, s), b, c
        for i in range(16):
            k = (0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15)[i]
            s = (3, 9, 11, 15)[i % 4]
            a, b, c, d = d, _rotl(a + (b ^ c ^ d) + x[k] + 0x6ED9EBA1, s), b, c
        h = [(v + n) & _MASK for v, n in zip(h, (a, b, c, d), strict=True)]
    return struct.pack("<4I", *h)


def _des_key(seven: bytes) -> bytes:
    bits = int.from_bytes(seven, "big")
    return bytes((((bits >> (49 - 7 * i)) & 0x7F) << 1) for i in range(8))


def _des(key7: bytes, block: bytes) -> bytes:
    key = _des_key(key7)
    encryptor = Cipher(TripleDES(key * 3), modes.ECB()).encryptor()
    return encryptor.update(block) + encryptor.finalize()


def nt_password_hash(password: bytes) -> bytes:
    return md4(password.decode("utf-8", "replace").encode("utf-16-le"))


def challenge_hash(peer: bytes, authenticator: bytes, username: bytes) -> bytes:
    return hashlib.sha1(peer + authenticator + username).digest()[:8]


def nt_response(challenge: bytes, password_hash: bytes) -> bytes:
    key = password_hash + b"\x00" * 5
    return b"".join(_des(key[i:i + 7], challenge) for i in (0, 7, 14))


def authenticator_response(password_hash: bytes, response: bytes, challenge: bytes) -> bytes:
    digest = hashlib.sha1(md4(password_hash) + response + _MAGIC1).digest()
    digest = hashlib.sha1(digest + challenge + _MAGIC2).digest()
    return b"S=" + digest.hex().upper().encode()


def _user(request: Request) -> bytes:
    name = request.first(codec.USER_NAME) or b""
    return name.rsplit(b"\\", 1)[-1]  # without a DOMAIN\ prefix (RFC 2759 section 4)


def verify(request: Request, _username: str, password: bytes) -> bytes | None:
    """The authenticator response (S=...) when the MS-CHAP2-Response is right, else None."""
    challenge = request.first(codec.MS_CHAP_CHALLENGE)
    response = request.first(codec.MS_CHAP2_RESPONSE)
    if challenge is None or response is None or len(challenge) != 16 or len(response) != 50:
        return None
    peer, answer = response[2:18], response[26:50]
    hashed = challenge_hash(peer, challenge, _user(request))
    password_hash = nt_password_hash(password)
    if not hmac.compare_digest(nt_response(hashed, password_hash), answer):
        return None
    return response[:1] + authenticator_response(password_hash, answer, hashed)


def success_attributes(success: bytes, _password: bytes, _request: Request,
                       _secret: bytes) -> bytes:
    """MS-CHAP2-Success as a Microsoft vendor attribute."""
    inner = bytes((26, len(success) + 2)) + success
    return codec.encode_raw(codec.VENDOR_SPECIFIC, struct.pack("!I", codec.MICROSOFT) + inner)
