"""The signed link a prospect opens their quote with (itsdangerous, keyed by
DOTMAC_SECRET_KEY): it names the tenant, the quote and the nonce of the last sending, and
expires after DOTMAC_SALES__QUOTE_LINK_DAYS. A forged or altered link is not found; an
expired link or one a later sending replaced says so."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from dotmac_isp.shared.errors import AppError, NotFound

SALT = "dotmac-isp/sales/quote-link/v1"


class LinkExpired(AppError):
    """This link has expired; ask us to send the quote again."""

    status_code = 410
    code = "link_expired"


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


@dataclass(frozen=True)
class LinkClaim:
    tenant_id: uuid.UUID
    quote_id: uuid.UUID
    nonce: str


def sign(secret_key: str, tenant_id: uuid.UUID, quote_id: uuid.UUID, nonce: str) -> str:
    return _serializer(secret_key).dumps({"t": str(tenant_id), "q": str(quote_id), "n": nonce})


def read(secret_key: str, token: str, max_age: timedelta,
         now: datetime | None = None) -> LinkClaim:
    """What a link names; NotFound when it is not ours, LinkExpired when too old."""
    serializer = _serializer(secret_key)
    try:
        if now is None:
            data = serializer.loads(token, max_age=int(max_age.total_seconds()))
        else:  # the signer's clock is the system's; a caller's `now` moves the age
            data, signed_at = serializer.loads(token, return_timestamp=True)
            if now - signed_at > max_age:
                raise SignatureExpired("expired")
        return LinkClaim(uuid.UUID(data["t"]), uuid.UUID(data["q"]), str(data["n"]))
    except SignatureExpired:
        raise LinkExpired() from None
    except (BadSignature, KeyError, TypeError, ValueError):
        raise NotFound("this link is not valid; check it was copied whole") from None


def expires_at(now: datetime, max_age: timedelta) -> datetime:
    return now + max_age
