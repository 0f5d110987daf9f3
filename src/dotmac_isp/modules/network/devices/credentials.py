"""Device secrets (SNMP community and keys, SSH password and key) are stored encrypted with a
key derived from DOTMAC_SECRET_KEY, and never returned by the API."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

from dotmac_isp.config import Settings
from dotmac_isp.sdks.core.exceptions import ConfigurationError


class CredentialsUnreadable(ConfigurationError):
    """Stored device credentials cannot be decrypted (was DOTMAC_SECRET_KEY changed?);
    enter them again."""

    code = "credentials_unreadable"


def _box(settings: Settings) -> Fernet:
    secret = settings.secret_key.get_secret_value().encode()
    digest = hashlib.sha256(b"dotmac-isp/network-device-credentials/" + secret).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(settings: Settings, value: str | None) -> str | None:
    """Encrypt a secret for storage; None and '' store nothing."""
    if not value:
        return None
    return _box(settings).encrypt(value.encode()).decode()


def unseal(settings: Settings, token: str | None) -> str | None:
    if token is None:
        return None
    try:
        return _box(settings).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise CredentialsUnreadable() from exc
