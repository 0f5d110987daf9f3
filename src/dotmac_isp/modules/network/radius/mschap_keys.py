"""MPPE keys for MS-CHAP accepts, as FreeRADIUS's mschap module sends them.

MS-CHAPv2: RFC 3079 derives the master key from NtPasswordHashHash and the NT-Response and the
NAS's send and receive start keys from it; they travel as MS-MPPE-Send-Key/-Recv-Key, salted
and encrypted with the shared secret and the Request Authenticator (RFC 2548 2.4.2, 2.4.3).
MS-CHAPv1: MS-CHAP-MPPE-Keys (RFC 2548 2.4.1) carries an (empty) LAN Manager key and
NtPasswordHashHash, from which the NAS derives its keys (RFC 3079 section 2), hidden like a
User-Password. Both come with MS-MPPE-Encryption-Policy and -Types.
"""

from __future__ import annotations

import functools
import hashlib
import os
import struct
from dataclasses import dataclass

from dotmac_isp.modules.network.radius.mschap import (
    Verified,
    success_attribute,
    vendor_attribute,
)

MS_MPPE_ENCRYPTION_POLICY = 7
MS_MPPE_ENCRYPTION_TYPES = 8
MS_CHAP_MPPE_KEYS = 12
MS_MPPE_SEND_KEY = 16
MS_MPPE_RECV_KEY = 17
POLICY_ALLOWED = 1
POLICY_REQUIRED = 2
TYPES_128_BIT = 4
TYPES_40_OR_128_BIT = 6

_MASTER_MAGIC = b"This is the MPPE Master Key"
_CLIENT_SEND_MAGIC = (b"On the client side, this is the send key; "
                      b"on the server side, it is the receive key.")
_CLIENT_RECEIVE_MAGIC = (b"On the client side, this is the receive key; "
                         b"on the server side, it is the send key.")
_SHS_PAD1 = bytes(40)
_SHS_PAD2 = b"\xf2" * 40


def master_key(hash_hash: bytes, nt_response: bytes) -> bytes:
    """GetMasterKey (RFC 3079 3.4)."""
    return hashlib.sha1(hash_hash + nt_response + _MASTER_MAGIC).digest()[:16]


def asymmetric_start_key(master: bytes, length: int, *, send: bool,
                         server: bool = True) -> bytes:
    """GetAsymmetricStartKey (RFC 3079 3.4): the server's send key is the client's
    receive key."""
    magic = _CLIENT_RECEIVE_MAGIC if send == server else _CLIENT_SEND_MAGIC
    return hashlib.sha1(master + _SHS_PAD1 + magic + _SHS_PAD2).digest()[:length]


def mschapv2_keys(hash_hash: bytes, nt_response: bytes, length: int = 16) -> tuple[bytes, bytes]:
    """The NAS's (send, receive) start keys for an MS-CHAPv2 login (128-bit by default)."""
    master = master_key(hash_hash, nt_response)
    return (asymmetric_start_key(master, length, send=True),
            asymmetric_start_key(master, length, send=False))


def _xor(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(len(a), "big")


def new_salts(count: int) -> list[bytes]:
    """Distinct two-octet salts with the high bit set (RFC 2548 2.4.2)."""
    salts: list[bytes] = []
    while len(salts) < count:
        salt = bytes((os.urandom(1)[0] | 0x80,)) + os.urandom(1)
        if salt not in salts:
            salts.append(salt)
    return salts


def encrypt_key(key: bytes, secret: bytes, authenticator: bytes, salt: bytes) -> bytes:
    """Salt + the key-length octet, key and zero padding, encrypted in MD5-chained 16-octet
    blocks: b(1) = MD5(secret + authenticator + salt), b(i) = MD5(secret + c(i-1))."""
    plain = bytes((len(key),)) + key
    plain += bytes(-len(plain) % 16)
    out, last = bytearray(salt), authenticator + salt
    for start in range(0, len(plain), 16):
        block = _xor(plain[start:start + 16], hashlib.md5(secret + last).digest())
        out += block
        last = block
    return bytes(out)


def decrypt_key(value: bytes, secret: bytes, authenticator: bytes) -> bytes:
    """The key an MS-MPPE-Send-Key/-Recv-Key value carries; ValueError if it is malformed."""
    salt, hidden = value[:2], value[2:]
    if len(value) < 18 or len(hidden) % 16 or not salt[0] & 0x80:
        raise ValueError("not a salt-encrypted value")
    plain, last = bytearray(), authenticator + salt
    for start in range(0, len(hidden), 16):
        block = hidden[start:start + 16]
        plain += _xor(block, hashlib.md5(secret + last).digest())
        last = block
    if plain[0] > len(plain) - 1:
        raise ValueError("key length past the value")
    return bytes(plain[1:1 + plain[0]])


def hide(plain: bytes, secret: bytes, authenticator: bytes) -> bytes:
    """User-Password hiding (RFC 2865 5.2) of a value already a multiple of 16 octets."""
    out, last = bytearray(), authenticator
    for start in range(0, len(plain), 16):
        block = _xor(plain[start:start + 16], hashlib.md5(secret + last).digest())
        out += block
        last = block
    return bytes(out)


@dataclass(frozen=True, slots=True)
class MppeChoice:
    """What an accept carries: keys at all, and the policy and types (None: not sent by us,
    because the plan's RADIUS attributes carry their own)."""

    keys: bool = True
    policy: int | None = POLICY_ALLOWED
    types: int | None = TYPES_40_OR_128_BIT


def accept_attributes(verified: Verified, secret: bytes, authenticator: bytes,
                      choice: MppeChoice) -> bytes:
    """MS-CHAP2-Success (version 2) and the MPPE attributes for an accept."""
    out = success_attribute(verified)
    if not choice.keys:
        return out
    if verified.version == 2:
        send, receive = mschapv2_keys(verified.hash_hash, verified.nt_response)
        send_salt, receive_salt = new_salts(2)
        out += vendor_attribute(MS_MPPE_RECV_KEY,
                                encrypt_key(receive, secret, authenticator, receive_salt))
        out += vendor_attribute(MS_MPPE_SEND_KEY,
                                encrypt_key(send, secret, authenticator, send_salt))
    else:
        # RFC 2548 names the NT hash; NASes (pppd, Windows RRAS) expect its hash, as
        # FreeRADIUS sends it. The LM key stays zero, as FreeRADIUS 3.2 leaves it: half a
        # LAN Manager hash would hand the NAS the password's first seven characters.
        plain = bytes(8) + verified.hash_hash + bytes(8)
        out += vendor_attribute(MS_CHAP_MPPE_KEYS, hide(plain, secret, authenticator))
    if choice.policy is not None:
        out += _integer_attribute(MS_MPPE_ENCRYPTION_POLICY, choice.policy)
    if choice.types is not None:
        out += _integer_attribute(MS_MPPE_ENCRYPTION_TYPES, choice.types)
    return out


@functools.cache
def _integer_attribute(kind: int, value: int) -> bytes:
    return vendor_attribute(kind, struct.pack("!I", value))
