"""MS-CHAPv1 (RFC 2433) and MS-CHAPv2 (RFC 2759), carried in RADIUS as RFC 2548 Microsoft
attributes. The MPPE keys an accept carries are built in mschap_keys.

OpenSSL 3 no longer offers MD4, which MS-CHAP needs for the NT password hash, so a small MD4
(RFC 1320) lives here. Single DES is TripleDES with three equal keys.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from dataclasses import dataclass

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes

from dotmac_isp.sdks.radius import codec
from dotmac_isp.sdks.radius.codec import Request

MS_CHAP_RESPONSE = (codec.MICROSOFT, 1)
MS_CHAP_ERROR = 2
MS_CHAP2_SUCCESS = 26
# MS-CHAP error codes (RFC 2433 section 5.3, RFC 2759 section 6)
ERROR_ACCOUNT_DISABLED = 647
ERROR_AUTHENTICATION_FAILURE = 691
_ERROR_TEXT = {ERROR_ACCOUNT_DISABLED: "Account disabled",
               ERROR_AUTHENTICATION_FAILURE: "Authentication rejected"}

_MAGIC1 = b"Magic server to client signing constant"
_MAGIC2 = b"Pad to make it do more than one iteration"
_MASK = 0xFFFFFFFF
_NT_RESPONSE_FLAG = 0x01
_K2, _K3 = 0x5A827999, 0x6ED9EBA1


def md4(data: bytes) -> bytes:
    """MD4 (RFC 1320), its three rounds written out: this runs twice per MS-CHAP login."""
    message = data + b"\x80" + b"\x00" * ((55 - len(data)) % 64) + struct.pack(
        "<Q", len(data) * 8)
    h0, h1, h2, h3 = 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476
    for offset in range(0, len(message), 64):
        x = struct.unpack_from("<16I", message, offset)
        a, b, c, d = h0, h1, h2, h3
        for k in (0, 4, 8, 12):
            t = (a + ((b & c) | (~b & d)) + x[k]) & _MASK
            a = ((t << 3) | (t >> 29)) & _MASK
            t = (d + ((a & b) | (~a & c)) + x[k + 1]) & _MASK
            d = ((t << 7) | (t >> 25)) & _MASK
            t = (c + ((d & a) | (~d & b)) + x[k + 2]) & _MASK
            c = ((t << 11) | (t >> 21)) & _MASK
            t = (b + ((c & d) | (~c & a)) + x[k + 3]) & _MASK
            b = ((t << 19) | (t >> 13)) & _MASK
        for k in (0, 1, 2, 3):
            t = (a + ((b & c) | (b & d) | (c & d)) + x[k] + _K2) & _MASK
            a = ((t << 3) | (t >> 29)) & _MASK
            t = (d + ((a & b) | (a & c) | (b & c)) + x[k + 4] + _K2) & _MASK
            d = ((t << 5) | (t >> 27)) & _MASK
            t = (c + ((d & a) | (d & b) | (a & b)) + x[k + 8] + _K2) & _MASK
            c = ((t << 9) | (t >> 23)) & _MASK
            t = (b + ((c & d) | (c & a) | (d & a)) + x[k + 12] + _K2) & _MASK
            b = ((t << 13) | (t >> 19)) & _MASK
        for k in (0, 2, 1, 3):
            t = (a + (b ^ c ^ d) + x[k] + _K3) & _MASK
            a = ((t << 3) | (t >> 29)) & _MASK
            t = (d + (a ^ b ^ c) + x[k + 8] + _K3) & _MASK
            d = ((t << 9) | (t >> 23)) & _MASK
            t = (c + (d ^ a ^ b) + x[k + 4] + _K3) & _MASK
            c = ((t << 11) | (t >> 21)) & _MASK
            t = (b + (c ^ d ^ a) + x[k + 12] + _K3) & _MASK
            b = ((t << 15) | (t >> 17)) & _MASK
        h0, h1 = (h0 + a) & _MASK, (h1 + b) & _MASK
        h2, h3 = (h2 + c) & _MASK, (h3 + d) & _MASK
    return struct.pack("<4I", h0, h1, h2, h3)


def _des_key(seven: bytes) -> bytes:
    bits = int.from_bytes(seven, "big")
    return bytes((((bits >> (49 - 7 * i)) & 0x7F) << 1) for i in range(8))


def des_encrypt(key7: bytes, block: bytes) -> bytes:
    """DES of one 8-octet block under a 56-bit key given as 7 octets (RFC 2433 DesEncrypt)."""
    key = _des_key(key7)
    encryptor = Cipher(TripleDES(key * 3), modes.ECB()).encryptor()
    return encryptor.update(block) + encryptor.finalize()


def nt_password_hash(password: bytes) -> bytes:
    return md4(password.decode("utf-8", "replace").encode("utf-16-le"))


def challenge_hash(peer: bytes, authenticator: bytes, username: bytes) -> bytes:
    return hashlib.sha1(peer + authenticator + username).digest()[:8]


def nt_response(challenge: bytes, password_hash: bytes) -> bytes:
    """ChallengeResponse (RFC 2433 / RFC 2759): three DES blocks under the padded hash."""
    key = password_hash + b"\x00" * 5
    return b"".join(des_encrypt(key[i:i + 7], challenge) for i in (0, 7, 14))


def authenticator_response(password_hash: bytes, response: bytes, challenge: bytes) -> bytes:
    return _authenticator_response(md4(password_hash), response, challenge)


def _authenticator_response(hash_hash: bytes, response: bytes, challenge: bytes) -> bytes:
    digest = hashlib.sha1(hash_hash + response + _MAGIC1).digest()
    digest = hashlib.sha1(digest + challenge + _MAGIC2).digest()
    return b"S=" + digest.hex().upper().encode()


@dataclass(frozen=True, slots=True)
class Verified:
    """A response that proved the password: what the accept's MS-CHAP attributes need."""

    version: int  # 1 or 2
    hash_hash: bytes  # NtPasswordHashHash
    nt_response: bytes
    success: bytes = b""  # MS-CHAP2-Success value (version 2)


def is_mschap(request: Request) -> bool:
    return codec.MS_CHAP2_RESPONSE in request.attrs or MS_CHAP_RESPONSE in request.attrs


def method(request: Request) -> str:
    return "mschapv2" if codec.MS_CHAP2_RESPONSE in request.attrs else "mschap"


def _user(request: Request) -> bytes:
    name = request.first(codec.USER_NAME) or b""
    return name.rsplit(b"\\", 1)[-1]  # without a DOMAIN\ prefix (RFC 2759 section 4)


def verify(request: Request, password: bytes) -> Verified | None:
    """The proof when the MS-CHAP2-Response or MS-CHAP-Response is right, else None.

    An MS-CHAPv1 response without the NT-Response (flags 0: LAN Manager only) is refused:
    the LM response falls to a dictionary attack in minutes."""
    if not password:  # a stored password that could not be read never matches
        return None
    challenge = request.first(codec.MS_CHAP_CHALLENGE)
    if challenge is None:
        return None
    if codec.MS_CHAP2_RESPONSE in request.attrs:
        return _verify_v2(request, challenge, password)
    return _verify_v1(request, challenge, password)


def _verify_v2(request: Request, challenge: bytes, password: bytes) -> Verified | None:
    response = request.first(codec.MS_CHAP2_RESPONSE)
    if response is None or len(challenge) != 16 or len(response) != 50:
        return None
    peer, answer = response[2:18], response[26:50]
    hashed = challenge_hash(peer, challenge, _user(request))
    password_hash = nt_password_hash(password)
    if not hmac.compare_digest(nt_response(hashed, password_hash), answer):
        return None
    hash_hash = md4(password_hash)
    success = response[:1] + _authenticator_response(hash_hash, answer, hashed)
    return Verified(2, hash_hash, answer, success)


def _verify_v1(request: Request, challenge: bytes, password: bytes) -> Verified | None:
    response = request.first(MS_CHAP_RESPONSE)
    if response is None or len(challenge) != 8 or len(response) != 50:
        return None
    if not response[1] & _NT_RESPONSE_FLAG:
        return None
    answer = response[26:50]
    password_hash = nt_password_hash(password)
    if not hmac.compare_digest(nt_response(challenge, password_hash), answer):
        return None
    return Verified(1, md4(password_hash), answer)


def vendor_attribute(kind: int, value: bytes) -> bytes:
    """A Microsoft vendor attribute (RFC 2865 section 5.26 form)."""
    inner = bytes((kind, len(value) + 2)) + value
    return codec.encode_raw(codec.VENDOR_SPECIFIC, struct.pack("!I", codec.MICROSOFT) + inner)


def success_attribute(verified: Verified) -> bytes:
    """MS-CHAP2-Success for a version 2 accept; nothing for version 1."""
    return vendor_attribute(MS_CHAP2_SUCCESS, verified.success) if verified.success else b""


def error_attribute(request: Request, code: int = ERROR_AUTHENTICATION_FAILURE) -> bytes:
    """MS-CHAP-Error for a reject, worded as FreeRADIUS's mschap module words it (RFC 2433
    5.3, RFC 2759 6), except that it offers no retry (R=0): the NAS asks again instead."""
    v2 = request.first(codec.MS_CHAP2_RESPONSE)
    response = v2 if v2 is not None else request.first(MS_CHAP_RESPONSE)
    ident = response[:1] if response else b"\x00"
    if v2 is not None:
        text = (f"E={code} R=0 C={os.urandom(16).hex()} V=3 "
                f"M={_ERROR_TEXT.get(code, 'Authentication rejected')}")
    else:
        text = f"E={code} R=0 C={os.urandom(8).hex()} V=2"
    return vendor_attribute(MS_CHAP_ERROR, ident + text.encode())
