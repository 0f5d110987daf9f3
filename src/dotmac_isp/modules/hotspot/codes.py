"""Voucher codes and device MAC addresses as people and NASes write them."""

from __future__ import annotations

import re
import secrets

# No 0/O, 1/I/L: a code is read off a printed card and typed on a phone.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
DEFAULT_LENGTH = 10
MIN_LENGTH, MAX_LENGTH = 8, 16
_HEX = re.compile(r"[0-9a-f]{12}")


def new_code(length: int = DEFAULT_LENGTH) -> str:
    """An unguessable code: each character drawn from the OS's CSPRNG."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def normal_code(text: str) -> str:
    """A code as typed (any case, spaces or dashes between groups) as stored."""
    return re.sub(r"[\s-]", "", text).upper()


def looks_like_code(text: str) -> bool:
    code = normal_code(text)
    return MIN_LENGTH <= len(code) <= MAX_LENGTH and all(ch in ALPHABET for ch in code)


def normal_mac(text: str) -> str | None:
    """aa:bb:cc:dd:ee:ff from any of the usual ways of writing a MAC; None if it is not one."""
    digits = re.sub(r"[\s:.\-]", "", text).lower()
    if not _HEX.fullmatch(digits):
        return None
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2))
