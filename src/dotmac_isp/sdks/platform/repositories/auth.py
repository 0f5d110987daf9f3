"""The authentication and user repository, backed by the database.

Lookups by credential (email at login, token hash, API key prefix) run before the tenant is
known, so they are global; everything else is scoped to one tenant.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session

from dotmac_isp.modules.identity.models import (
    ApiKey,
    PasswordResetToken,
    RefreshToken,
    Role,
    Tenant,
    User,
)
from dotmac_isp.shared.tenancy import TenantRepository


def normalize_email(email: str) -> str:
    return email.strip().lower()


class CredentialLookup:
    """Global lookups by credential, used only to authenticate."""

    def __init__(self, session: Session):
        self.session = session

    def user_by_email(self, email: str) -> User | None:
        return self.session.scalars(
            select(User).where(User.email == normalize_email(email))
        ).one_or_none()

    def user_by_id(self, user_id: uuid.UUID) -> User | None:
        return self.session.get(User, user_id)

    def tenant(self, tenant_id: uuid.UUID) -> Tenant | None:
        return self.session.get(Tenant, tenant_id)

    def refresh_token(self, token_hash: str, *, for_update: bool = False) -> RefreshToken | None:
        stmt = select(RefreshToken).where(RefreshToken.token_hash == token_hash)
        if for_update:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).one_or_none()

    def api_key(self, prefix: str) -> ApiKey | None:
        return self.session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).one_or_none()

    def reset_token(self, token_hash: str) -> PasswordResetToken | None:
        return self.session.scalars(
            select(PasswordResetToken).where(PasswordResetToken.token_hash == token_hash)
        ).one_or_none()

    def email_taken(self, email: str, *, excluding: uuid.UUID | None = None) -> bool:
        stmt = select(User.id).where(User.email == normalize_email(email))
        if excluding is not None:
            stmt = stmt.where(User.id != excluding)
        return self.session.scalar(stmt) is not None


class UserRepository(TenantRepository[User]):
    model = User
    not_found_message = "user not found"

    def search(self, query: str | None = None, *, active: bool | None = None,
               role_id: uuid.UUID | None = None) -> Select[Any]:
        stmt = self.select().order_by(User.email)
        if query:
            like = f"%{query.lower()}%"
            stmt = stmt.where(or_(User.email.like(like), User.full_name.ilike(like)))
        if active is not None:
            stmt = stmt.where(User.is_active.is_(active))
        if role_id is not None:
            stmt = stmt.where(User.role_id == role_id)
        return stmt

    def count_with_role(self, role_id: uuid.UUID) -> int:
        return self.session.scalar(self.select(func.count()).where(User.role_id == role_id)) or 0


class RoleRepository(TenantRepository[Role]):
    model = Role
    not_found_message = "role not found"

    def by_name(self, name: str) -> Role | None:
        return self.session.scalars(self.select().where(Role.name == name)).one_or_none()


class RefreshTokenRepository(TenantRepository[RefreshToken]):
    model = RefreshToken

    def revoke_family(self, family_id: uuid.UUID, when: datetime, reason: str) -> None:
        self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.tenant_id == self.tenant_id, RefreshToken.family_id == family_id,
                   RefreshToken.revoked_at.is_(None))
            .values(revoked_at=when, revoked_reason=reason)
        )

    def revoke_for_user(self, user_id: uuid.UUID, when: datetime, reason: str,
                        *, except_family: uuid.UUID | None = None) -> None:
        stmt = (
            update(RefreshToken)
            .where(RefreshToken.tenant_id == self.tenant_id, RefreshToken.user_id == user_id,
                   RefreshToken.revoked_at.is_(None))
            .values(revoked_at=when, revoked_reason=reason)
        )
        if except_family is not None:
            stmt = stmt.where(RefreshToken.family_id != except_family)
        self.session.execute(stmt)


class ApiKeyRepository(TenantRepository[ApiKey]):
    model = ApiKey
    not_found_message = "API key not found"


class PasswordResetRepository(TenantRepository[PasswordResetToken]):
    model = PasswordResetToken

    def invalidate_for_user(self, user_id: uuid.UUID, when: datetime) -> None:
        self.session.execute(
            update(PasswordResetToken)
            .where(PasswordResetToken.tenant_id == self.tenant_id,
                   PasswordResetToken.user_id == user_id, PasswordResetToken.used_at.is_(None))
            .values(used_at=when)
        )
