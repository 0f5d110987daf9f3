"""Customer portal accounts: a login for /portal, separate from staff logins."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.customers import schemas
from dotmac_isp.modules.customers.models import Customer, PortalAccount
from dotmac_isp.modules.customers.repository import PortalAccountRepository
from dotmac_isp.modules.customers.service import get_customer
from dotmac_isp.modules.identity import auth, security
from dotmac_isp.shared.errors import AppError, Conflict, Unauthorized, ValidationFailed
from dotmac_isp.shared.types import utcnow


@dataclass
class PortalLogin:
    account: PortalAccount | None = None
    customer: Customer | None = None
    error: AppError | None = None


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def create_account(session: Session, settings: Settings, tenant_id: uuid.UUID,
                   customer_id: uuid.UUID,
                   data: schemas.PortalAccountCreate) -> tuple[PortalAccount, str | None]:
    """Give a customer a portal login; returns the generated password when none was given."""
    customer = get_customer(session, tenant_id, customer_id)
    repo = PortalAccountRepository(session, tenant_id)
    if repo.for_customer(customer.id) is not None:
        raise Conflict("this customer already has a portal account")
    login = (data.login or customer.email or "").strip().lower()
    if not login:
        raise ValidationFailed("the customer has no email; give a login")
    if repo.by_login(login) is not None:
        raise Conflict(f"the login {login} is taken by another customer")
    generated = None if data.password else generate_password()
    password = data.password or generated or ""
    auth.check_password_policy(password, settings, email=login)
    account = PortalAccount(customer_id=customer.id, login=login,
                            password_hash=security.hash_password(password))
    return repo.add(account), generated


def get_account(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> PortalAccount:
    account = PortalAccountRepository(session, tenant_id).for_customer(customer_id)
    if account is None:
        raise PortalAccountRepository.not_found()
    return account


def set_active(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID,
               active: bool) -> PortalAccount:
    account = get_account(session, tenant_id, customer_id)
    account.is_active = active
    if active:
        account.locked_until, account.failed_login_count = None, 0
    session.flush()
    return account


def login(session: Session, settings: Settings, tenant_id: uuid.UUID, login_name: str,
          password: str) -> PortalLogin:
    """Check a portal login with the same lockout rules as staff logins."""
    account = PortalAccountRepository(session, tenant_id).by_login(login_name)
    locked = auth.locked_message(account) if account is not None else None
    if locked is not None:
        return PortalLogin(error=locked)
    ok = security.verify_password(account.password_hash if account else None, password)
    if account is None or not ok or not account.is_active:
        if account is not None and not ok:
            counted = auth.count_failed_login(account, settings)
            if counted is not None:
                return PortalLogin(error=counted)
        return PortalLogin(error=Unauthorized("invalid login or password"))
    locked = auth.locked_under_row_lock(account)
    if locked is not None:
        return PortalLogin(error=locked)
    customer = get_customer(session, tenant_id, account.customer_id)
    if customer.status == "closed":
        return PortalLogin(error=Unauthorized("this account is closed"))
    account.failed_login_count, account.locked_until = 0, None
    account.last_login_at = utcnow()
    session.flush()
    return PortalLogin(account=account, customer=customer)


def issue_reset(session: Session, settings: Settings, tenant_id: uuid.UUID,
                login_name: str) -> tuple[PortalAccount, str] | None:
    """A single-use reset token for the login (None when there is no such active account)."""
    account = PortalAccountRepository(session, tenant_id).by_login(login_name)
    if account is None or not account.is_active:
        return None
    raw = security.new_token()
    account.reset_token_hash = security.sha256_hex(raw)
    account.reset_expires_at = utcnow() + timedelta(minutes=settings.auth.password_reset_minutes)
    session.flush()
    return account, raw


def reset_password(session: Session, settings: Settings, tenant_id: uuid.UUID, raw_token: str,
                   new_password: str) -> PortalAccount:
    repo = PortalAccountRepository(session, tenant_id)
    account = repo.by_reset_hash(security.sha256_hex(raw_token))
    if account is None or account.reset_expires_at is None \
            or account.reset_expires_at <= utcnow():
        raise ValidationFailed("reset link is invalid or has expired")
    auth.check_password_policy(new_password, settings, email=account.login)
    account.password_hash = security.hash_password(new_password)
    account.password_changed_at = utcnow()
    account.reset_token_hash = account.reset_expires_at = None
    account.failed_login_count, account.locked_until = 0, None
    session.flush()
    return account
