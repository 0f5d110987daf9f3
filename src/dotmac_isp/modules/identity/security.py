"""Credential primitives: password hashing, opaque tokens, JWTs, TOTP."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from dotmac_isp.shared.errors import Unauthorized
from dotmac_isp.shared.types import utcnow

_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps login timing the same either way.
_DUMMY_HASH = _hasher.hash("not-a-real-password-0000")
JWT_ALGORITHM = "HS256"
TOTP_ISSUER = "DotMac ISP"


def use_hasher(hasher: PasswordHasher) -> None:
    """Swap the argon2 parameters (the test suite uses cheap ones; production keeps the
    library's defaults)."""
    global _hasher, _DUMMY_HASH
    _hasher = hasher
    _DUMMY_HASH = hasher.hash("not-a-real-password-0000")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def new_token(nbytes: int = 32) -> str:
    """A URL-safe random secret."""
    return secrets.token_urlsafe(nbytes)


def sha256_hex(value: str) -> str:
    """Secrets with 256 bits of entropy need no slow hash; SHA-256 lets us look them up."""
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    issued_at: datetime


def encode_access_token(secret: str, user_id: uuid.UUID, tenant_id: uuid.UUID,
                        lifetime: timedelta) -> str:
    now = utcnow()
    payload: dict[str, Any] = {
        "sub": str(user_id),
        "tid": str(tenant_id),
        "typ": "access",
        "iat": round(now.timestamp(), 6),  # sub-second, so a password change ends older tokens
        "exp": int((now + lifetime).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(payload, secret, algorithm=JWT_ALGORITHM)


def decode_access_token(secret: str, token: str) -> AccessClaims:
    try:
        payload = jwt.decode(token, secret, algorithms=[JWT_ALGORITHM],
                             options={"require": ["sub", "tid", "exp", "iat", "typ"]})
        if payload["typ"] != "access":
            raise Unauthorized("not an access token")
        return AccessClaims(
            user_id=uuid.UUID(payload["sub"]),
            tenant_id=uuid.UUID(payload["tid"]),
            issued_at=datetime.fromtimestamp(payload["iat"], tz=utcnow().tzinfo),
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("access token expired") from exc
    except (jwt.InvalidTokenError, ValueError) as exc:
        raise Unauthorized("invalid access token") from exc


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, account: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=TOTP_ISSUER)


def totp_match_step(secret: str, code: str, *, at: datetime | None = None) -> int | None:
    """The 30-second step the code belongs to (one step of clock drift allowed), or None."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    moment = at or utcnow()
    step = totp.timecode(moment)
    for candidate in (step, step - 1, step + 1):
        if secrets.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def api_key_parts(raw_key: str) -> tuple[str, str] | None:
    """Split 'dmk_<prefix>_<secret>' into (prefix, raw key), or None if it is not one."""
    parts = raw_key.split("_", 2)
    if len(parts) != 3 or parts[0] != "dmk" or len(parts[1]) != 12 or not parts[2]:
        return None
    return parts[1], raw_key


def new_api_key() -> tuple[str, str]:
    """A fresh key as (prefix, full key). The full key is shown to the user once."""
    prefix = secrets.token_hex(6)
    return prefix, f"dmk_{prefix}_{secrets.token_urlsafe(32)}"


def secrets_equal(a: str, b: str) -> bool:
    return secrets.compare_digest(a.encode(), b.encode())
