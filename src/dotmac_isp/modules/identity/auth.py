"""Authentication flows: login with lockout and TOTP, token refresh with rotation, API keys,
password change and reset. Services flush; the caller's unit of work commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import inspect
from sqlalchemy.orm import Session, object_session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity import reseller_access, security
from dotmac_isp.modules.identity.models import PasswordResetToken, RefreshToken, User
from dotmac_isp.modules.identity.principal import Principal
from dotmac_isp.sdks.platform.repositories.auth import (
    CredentialLookup,
    PasswordResetRepository,
    RefreshTokenRepository,
)
from dotmac_isp.sdks.services import metrics
from dotmac_isp.shared.enums import ActorType
from dotmac_isp.shared.errors import AppError, Unauthorized, ValidationFailed
from dotmac_isp.shared.types import utcnow

LOGINS = metrics.counter("auth_logins_total", "Staff login attempts by outcome", ["outcome"])
INVALID_CREDENTIALS = "invalid email or password"


class AccountLocked(AppError):
    """Too many failed logins; the account is locked for a while."""

    status_code = 423
    code = "account_locked"


class TotpRequired(Unauthorized):
    """A second factor is required."""

    code = "totp_required"


@dataclass
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int


@dataclass
class LoginResult:
    """Failures are results, not exceptions, so the failed-attempt counter still commits."""

    user: User | None = None
    tokens: IssuedTokens | None = None
    error: AppError | None = None


def check_password_policy(password: str, settings: Settings, *, email: str = "") -> None:
    minimum = settings.auth.min_password_length
    if len(password) < minimum:
        raise ValidationFailed(f"password must be at least {minimum} characters")
    if password.strip() != password or not password.strip():
        raise ValidationFailed("password must not start or end with spaces")
    if email and password.lower() == email.lower():
        raise ValidationFailed("password must not be the email address")


def _issue_tokens(session: Session, settings: Settings, user: User,
                  family_id: uuid.UUID | None = None) -> IssuedTokens:
    raw_refresh = security.new_token()
    now = utcnow()
    session.add(RefreshToken(
        tenant_id=user.tenant_id,
        user_id=user.id,
        family_id=family_id or uuid.uuid4(),
        token_hash=security.sha256_hex(raw_refresh),
        issued_at=now,
        expires_at=now + timedelta(days=settings.auth.refresh_token_days),
    ))
    lifetime = timedelta(minutes=settings.auth.access_token_minutes)
    access = security.encode_access_token(settings.secret_key.get_secret_value(), user.id,
                                          user.tenant_id, lifetime)
    session.flush()
    return IssuedTokens(access, raw_refresh, int(lifetime.total_seconds()))


def verify_credentials(session: Session, settings: Settings, email: str, password: str,
                       totp_code: str | None = None) -> LoginResult:
    """Check a staff login, counting failures and locking the account after too many."""
    user = CredentialLookup(session).user_by_email(email)
    now = utcnow()
    locked = locked_message(user) if user is not None else None
    if locked is not None:
        LOGINS.labels("locked").inc()
        return LoginResult(error=locked)
    password_ok = security.verify_password(user.password_hash if user else None, password)
    tenant = CredentialLookup(session).tenant(user.tenant_id) if user else None
    if user is None or not password_ok or not user.is_active or not (tenant and tenant.is_active):
        if user is not None and not password_ok:
            locked = count_failed_login(user, settings)
            if locked is not None:
                LOGINS.labels("locked").inc()
                return LoginResult(error=locked)
        LOGINS.labels("failed").inc()
        return LoginResult(error=Unauthorized(INVALID_CREDENTIALS))
    # The password is right: take the row lock, so a lock set by a parallel attempt holds.
    _lock_row(user, "totp_last_step")
    locked = locked_message(user)
    if locked is not None:
        LOGINS.labels("locked").inc()
        return LoginResult(error=locked)
    if user.totp_enabled:
        if not totp_code:
            LOGINS.labels("totp_required").inc()
            return LoginResult(error=TotpRequired("enter the code from your authenticator app"))
        step = security.totp_match_step(user.totp_secret or "", totp_code)
        if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
            locked = count_failed_login(user, settings)
            LOGINS.labels("locked" if locked else "failed").inc()
            return LoginResult(error=locked or Unauthorized("invalid authentication code"))
        user.totp_last_step = step
    user.failed_login_count = 0
    user.locked_until = None
    user.last_login_at = now
    if security.needs_rehash(user.password_hash):
        user.password_hash = security.hash_password(password)
    session.flush()
    LOGINS.labels("success").inc()
    return LoginResult(user=user)


def login(session: Session, settings: Settings, email: str, password: str,
          totp_code: str | None = None) -> LoginResult:
    """Verify credentials and, when they pass, issue an access and refresh token pair."""
    result = verify_credentials(session, settings, email, password, totp_code)
    if result.user is not None:
        result.tokens = _issue_tokens(session, settings, result.user)
    return result


class Lockable(Protocol):
    failed_login_count: int
    locked_until: datetime | None


def _lock_row(account: Lockable, *also: str) -> None:
    """Reload the lockout columns under a row lock, so parallel attempts take turns."""
    session = object_session(account)
    if session is not None and inspect(account).persistent:
        session.refresh(account, attribute_names=["failed_login_count", "locked_until", *also],
                        with_for_update=True)


def count_failed_login(account: Lockable, settings: Settings) -> AccountLocked | None:
    """Count a failed login under a row lock; lock the account after too many in a row.

    Returns the lockout error when a parallel attempt locked the account meanwhile: that
    attempt is then refused as locked and not counted.
    """
    _lock_row(account)
    locked = locked_message(account)
    if locked is not None:
        return locked
    account.failed_login_count += 1
    if account.failed_login_count >= settings.auth.lockout_threshold:
        account.locked_until = utcnow() + timedelta(minutes=settings.auth.lockout_minutes)
        account.failed_login_count = 0
    session = object_session(account)
    if session is not None:
        session.flush()
    return None


def locked_under_row_lock(account: Lockable) -> AccountLocked | None:
    """Before a good login clears the counter: take the row lock, so a lock that a parallel
    failed attempt set holds, and return the lockout error if there is one."""
    _lock_row(account)
    return locked_message(account)


def locked_message(account: Lockable) -> AccountLocked | None:
    """The lockout error while the account is locked, else None."""
    if account.locked_until is not None and account.locked_until > utcnow():
        return AccountLocked(f"account locked after repeated failed logins; try again after "
                             f"{account.locked_until:%Y-%m-%d %H:%M} UTC")
    return None


def refresh(session: Session, settings: Settings, raw_token: str) -> LoginResult:
    """Rotate a refresh token. Presenting an already-rotated token revokes its whole family."""
    lookup = CredentialLookup(session)
    token = lookup.refresh_token(security.sha256_hex(raw_token), for_update=True)
    now = utcnow()
    if token is None or token.expires_at <= now:
        return LoginResult(error=Unauthorized("invalid or expired refresh token"))
    repo = RefreshTokenRepository(session, token.tenant_id)
    if token.revoked_at is not None:
        if token.revoked_reason == "rotated":
            repo.revoke_family(token.family_id, now, "reuse_detected")
        return LoginResult(error=Unauthorized("refresh token has been revoked"))
    user = lookup.user_by_id(token.user_id)
    tenant = lookup.tenant(token.tenant_id)
    if user is None or not user.is_active or tenant is None or not tenant.is_active:
        repo.revoke_family(token.family_id, now, "user_inactive")
        return LoginResult(error=Unauthorized("account is disabled"))
    token.revoked_at = now
    token.revoked_reason = "rotated"
    return LoginResult(user=user, tokens=_issue_tokens(session, settings, user, token.family_id))


def logout(session: Session, raw_token: str) -> None:
    """Revoke the refresh token's family (the whole login); unknown tokens are ignored."""
    token = CredentialLookup(session).refresh_token(security.sha256_hex(raw_token))
    if token is not None:
        RefreshTokenRepository(session, token.tenant_id).revoke_family(
            token.family_id, utcnow(), "logout")


def principal_for_user(user: User) -> Principal:
    permissions = frozenset(user.role.permissions)
    if user.reseller_id is not None:
        permissions = reseller_access.capped(permissions)
    return Principal(
        tenant_id=user.tenant_id,
        actor_type=ActorType.USER,
        actor_id=user.id,
        label=user.email,
        permissions=permissions,
        user_id=user.id,
        reseller_id=user.reseller_id,
    )


def authenticate_bearer(session: Session, settings: Settings, token: str) -> Principal:
    """Resolve an Authorization bearer value: a JWT access token or an API key."""
    parts = security.api_key_parts(token)
    if parts is not None:
        return _authenticate_api_key(session, *parts)
    claims = security.decode_access_token(settings.secret_key.get_secret_value(), token)
    lookup = CredentialLookup(session)
    user = lookup.user_by_id(claims.user_id)
    if user is None or user.tenant_id != claims.tenant_id or not user.is_active:
        raise Unauthorized("account is disabled or no longer exists")
    # A password change ends every session started before it.
    if claims.issued_at < user.password_changed_at:
        raise Unauthorized("session ended by a password change; sign in again")
    tenant = lookup.tenant(user.tenant_id)
    if tenant is None or not tenant.is_active:
        raise Unauthorized("tenant is disabled")
    return principal_for_user(user)


def _authenticate_api_key(session: Session, prefix: str, raw_key: str) -> Principal:
    key = CredentialLookup(session).api_key(prefix)
    now = utcnow()
    if key is None or not security.secrets_equal(key.key_hash, security.sha256_hex(raw_key)):
        raise Unauthorized("invalid API key")
    if key.revoked_at is not None:
        raise Unauthorized("API key has been revoked")
    if key.expires_at is not None and key.expires_at <= now:
        raise Unauthorized("API key has expired")
    tenant = CredentialLookup(session).tenant(key.tenant_id)
    if tenant is None or not tenant.is_active:
        raise Unauthorized("tenant is disabled")
    return Principal(
        tenant_id=key.tenant_id,
        actor_type=ActorType.API_KEY,
        actor_id=key.id,
        label=f"api-key:{key.name}",
        permissions=frozenset(key.scopes),
    )


def change_password(session: Session, settings: Settings, user: User, current: str,
                    new: str) -> None:
    """Change a user's own password; every other session of theirs ends."""
    if not security.verify_password(user.password_hash, current):
        raise ValidationFailed("current password is wrong")
    set_password(session, settings, user, new)


def set_password(session: Session, settings: Settings, user: User, new: str) -> None:
    check_password_policy(new, settings, email=user.email)
    now = utcnow()
    user.password_hash = security.hash_password(new)
    user.password_changed_at = now
    user.failed_login_count = 0
    user.locked_until = None
    RefreshTokenRepository(session, user.tenant_id).revoke_for_user(user.id, now, "password")
    PasswordResetRepository(session, user.tenant_id).invalidate_for_user(user.id, now)
    session.flush()


def issue_password_reset(session: Session, settings: Settings,
                         user: User) -> tuple[str, PasswordResetToken]:
    """Create a single-use reset token; the raw token goes to the user, its hash is stored."""
    raw = security.new_token()
    token = PasswordResetToken(
        tenant_id=user.tenant_id,
        user_id=user.id,
        token_hash=security.sha256_hex(raw),
        expires_at=utcnow() + timedelta(minutes=settings.auth.password_reset_minutes),
    )
    session.add(token)
    session.flush()
    return raw, token


def reset_password(session: Session, settings: Settings, raw_token: str, new: str) -> User:
    """Use a reset token to set a new password."""
    lookup = CredentialLookup(session)
    token = lookup.reset_token(security.sha256_hex(raw_token))
    if token is None or token.used_at is not None or token.expires_at <= utcnow():
        raise ValidationFailed("reset link is invalid or has expired")
    user = lookup.user_by_id(token.user_id)
    if user is None or not user.is_active:
        raise ValidationFailed("reset link is invalid or has expired")
    set_password(session, settings, user, new)
    token.used_at = utcnow()
    return user


def begin_totp(user: User) -> tuple[str, str]:
    """Generate a new TOTP secret (not active until confirmed with a code)."""
    if user.totp_enabled:
        raise ValidationFailed("two-factor authentication is already on; turn it off first")
    user.totp_secret = security.new_totp_secret()
    return user.totp_secret, security.totp_uri(user.totp_secret, user.email)


def enable_totp(user: User, code: str) -> None:
    if user.totp_enabled:
        raise ValidationFailed("two-factor authentication is already on")
    step = security.totp_match_step(user.totp_secret or "", code) if user.totp_secret else None
    if step is None:
        raise ValidationFailed("the code does not match; check the time on your device")
    user.totp_enabled = True
    user.totp_last_step = step


def disable_totp(user: User, password: str, code: str) -> None:
    if not user.totp_enabled:
        raise ValidationFailed("two-factor authentication is not on")
    if not security.verify_password(user.password_hash, password):
        raise ValidationFailed("password is wrong")
    if security.totp_match_step(user.totp_secret or "", code) is None:
        raise ValidationFailed("the code does not match")
    user.totp_enabled = False
    user.totp_secret = None
    user.totp_last_step = None
