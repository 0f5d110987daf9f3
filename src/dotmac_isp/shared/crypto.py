"""Secrets the platform must be able to read back (RADIUS passwords for CHAP, NAS secrets),
encrypted at rest with a key derived from DOTMAC_SECRET_KEY."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken

from dotmac_isp.shared.errors import AppError


class DecryptionFailed(AppError):
    """A stored secret could not be decrypted; was DOTMAC_SECRET_KEY changed?"""

    status_code = 500
    code = "decryption_failed"


@lru_cache(maxsize=8)
def _fernet(secret_key: str) -> Fernet:
    digest = hashlib.sha256(b"dotmac-isp/stored-secrets/v1" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(secret_key: str, plaintext: str) -> str:
    return _fernet(secret_key).encrypt(plaintext.encode()).decode()


def decrypt(secret_key: str, token: str) -> str:
    try:
        return _fernet(secret_key).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionFailed() from exc
