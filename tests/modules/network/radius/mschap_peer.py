"""What only the client side of MS-CHAP computes: the LAN Manager hash an old client answers
with when it sends no NT-Response."""

from __future__ import annotations

from dotmac_isp.modules.network.radius.mschap import des_encrypt

_LM_MAGIC = b"KGS!@#$%"


def lm_password_hash(password: bytes) -> bytes:
    """LmPasswordHash (RFC 2433 A.2): the first 14 octets, upper-cased, as two DES keys over a
    constant."""
    upper = password[:14].upper().ljust(14, b"\x00")
    return des_encrypt(upper[:7], _LM_MAGIC) + des_encrypt(upper[7:], _LM_MAGIC)
