"""Tenants, users, roles, API keys and the audit log. Services flush; callers commit."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity import auth, notify, schemas, security
from dotmac_isp.modules.identity.models import ApiKey, AuditLog, Role, Tenant, User
from dotmac_isp.modules.identity.permissions import BUILTIN_ROLES, unknown_permissions
from dotmac_isp.modules.identity.principal import Principal
from dotmac_isp.sdks.platform.repositories.auth import (
    ApiKeyRepository,
    CredentialLookup,
    RoleRepository,
    UserRepository,
    normalize_email,
)
from dotmac_isp.shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from dotmac_isp.shared.keyset import KeyOrder
from dotmac_isp.shared.pagination import Page, PageParams
from dotmac_isp.shared.tenancy import TenantRepository
from dotmac_isp.shared.types import utcnow

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


# Tenants -------------------------------------------------------------------------------

def create_tenant(session: Session, *, name: str, slug: str, currency: str = "USD",
                  timezone: str = "UTC") -> Tenant:
    """Create an ISP tenant with the built-in roles."""
    if not SLUG_RE.match(slug):
        raise ValidationFailed("slug must be lowercase letters, digits and hyphens")
    if session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None:
        raise Conflict(f"a tenant with slug {slug!r} already exists")
    tenant = Tenant(name=name, slug=slug, currency=currency, timezone=timezone)
    session.add(tenant)
    session.flush()
    for role_name, (description, perms) in BUILTIN_ROLES.items():
        session.add(Role(tenant_id=tenant.id, name=role_name, description=description,
                         permissions=sorted(perms), is_builtin=True))
    session.flush()
    return tenant


def get_tenant(session: Session, tenant_id: uuid.UUID) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("tenant not found")
    return tenant


def active_tenant_ids(session: Session) -> list[uuid.UUID]:
    return list(session.scalars(select(Tenant.id).where(Tenant.is_active.is_(True))
                                .order_by(Tenant.slug)))


def tenant_by_slug(session: Session, slug: str) -> Tenant:
    tenant = session.scalars(select(Tenant).where(Tenant.slug == slug)).one_or_none()
    if tenant is None:
        raise NotFound(f"no tenant with slug {slug!r}")
    return tenant


def update_tenant(session: Session, tenant_id: uuid.UUID, data: schemas.TenantUpdate) -> Tenant:
    tenant = get_tenant(session, tenant_id)
    for key, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(tenant, key, value)
    session.flush()
    return tenant


# Roles ---------------------------------------------------------------------------------

def _check_permissions(perms: list[str], actor: Principal | None) -> list[str]:
    unknown = unknown_permissions(perms)
    if unknown:
        raise ValidationFailed(f"unknown permissions: {', '.join(unknown)}")
    if actor is not None and not set(perms) <= actor.permissions:
        missing = sorted(set(perms) - actor.permissions)
        raise Forbidden(f"you cannot grant permissions you do not hold: {', '.join(missing)}")
    return sorted(set(perms))


def _check_role_within(role: Role, actor: Principal) -> None:
    """A role that grants more than the actor holds is not theirs to change or remove."""
    missing = sorted(set(role.permissions) - actor.permissions)
    if missing:
        raise Forbidden(f"you cannot change a role with permissions you do not hold: "
                        f"{', '.join(missing)}")


def list_roles(session: Session, tenant_id: uuid.UUID, params: PageParams) -> Page[Role]:
    repo = RoleRepository(session, tenant_id)
    return repo.list(params, repo.select().order_by(Role.is_builtin.desc(), Role.name))


def get_role(session: Session, tenant_id: uuid.UUID, role_id: uuid.UUID) -> Role:
    return RoleRepository(session, tenant_id).get(role_id)


def role_by_name(session: Session, tenant_id: uuid.UUID, name: str) -> Role:
    role = RoleRepository(session, tenant_id).by_name(name)
    if role is None:
        raise NotFound(f"role {name!r} not found")
    return role


def create_role(session: Session, actor: Principal, data: schemas.RoleCreate) -> Role:
    repo = RoleRepository(session, actor.tenant_id)
    if repo.by_name(data.name) is not None:
        raise Conflict(f"a role named {data.name!r} already exists")
    perms = _check_permissions(data.permissions, actor)
    return repo.add(Role(name=data.name, description=data.description, permissions=perms))


def update_role(session: Session, actor: Principal, role_id: uuid.UUID,
                data: schemas.RoleUpdate) -> Role:
    repo = RoleRepository(session, actor.tenant_id)
    role = repo.get(role_id)
    if role.is_builtin:
        raise Conflict("built-in roles cannot be changed; create a custom role instead")
    _check_role_within(role, actor)
    if data.name is not None and data.name != role.name:
        if repo.by_name(data.name) is not None:
            raise Conflict(f"a role named {data.name!r} already exists")
        role.name = data.name
    if data.description is not None:
        role.description = data.description
    if data.permissions is not None:
        role.permissions = _check_permissions(data.permissions, actor)
    session.flush()
    return role


def delete_role(session: Session, actor: Principal, role_id: uuid.UUID) -> None:
    repo = RoleRepository(session, actor.tenant_id)
    role = repo.get(role_id)
    if role.is_builtin:
        raise Conflict("built-in roles cannot be deleted")
    _check_role_within(role, actor)
    in_use = UserRepository(session, actor.tenant_id).count_with_role(role.id)
    if in_use:
        raise Conflict(f"role is assigned to {in_use} user(s); reassign them first")
    repo.delete(role)


# Users ---------------------------------------------------------------------------------

def list_users(session: Session, tenant_id: uuid.UUID, params: PageParams, *,
               query: str | None = None, active: bool | None = None,
               role_id: uuid.UUID | None = None) -> Page[User]:
    repo = UserRepository(session, tenant_id)
    return repo.list(params, repo.search(query, active=active, role_id=role_id))


def get_user(session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID) -> User:
    return UserRepository(session, tenant_id).get(user_id)


def lock_user(session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Hold the user's row until the transaction ends, so work that must not overlap for
    one person (their appointments) is checked and written by one transaction at a time."""
    stmt = UserRepository(session, tenant_id).select(User.id).where(User.id == user_id)
    if session.scalar(stmt.with_for_update()) is None:
        raise UserRepository.not_found()


def _assignable_role(session: Session, actor: Principal | None, tenant_id: uuid.UUID,
                     role_id: uuid.UUID) -> Role:
    role = RoleRepository(session, tenant_id).find(role_id)
    if role is None:
        raise ValidationFailed("role_id does not name a role of this tenant")
    if actor is not None and not set(role.permissions) <= actor.permissions:
        raise Forbidden("you cannot assign a role with permissions you do not hold")
    return role


def create_user(session: Session, settings: Settings, tenant_id: uuid.UUID,
                data: schemas.UserCreate, actor: Principal | None = None) -> User:
    """Create a staff user; actor None means the CLI (no permission ceiling)."""
    email = normalize_email(data.email)
    if CredentialLookup(session).email_taken(email):
        raise Conflict("a user with this email already exists")
    role = _assignable_role(session, actor, tenant_id, data.role_id)
    auth.check_password_policy(data.password, settings, email=email)
    user = User(email=email, full_name=data.full_name, role_id=role.id, role=role,
                password_hash=security.hash_password(data.password))
    return UserRepository(session, tenant_id).add(user)


def invite_user(session: Session, settings: Settings, actor: Principal,
                data: schemas.UserInvite) -> User:
    """Create a staff user who chooses their own password from an emailed single-use link."""
    email = normalize_email(data.email)
    if CredentialLookup(session).email_taken(email):
        raise Conflict("a user with this email already exists")
    role = _assignable_role(session, actor, actor.tenant_id, data.role_id)
    # Nobody knows this password: the user sets theirs with the link.
    user = User(email=email, full_name=data.full_name, role_id=role.id, role=role,
                password_hash=security.hash_password(security.new_token()))
    UserRepository(session, actor.tenant_id).add(user)
    raw, _token = auth.issue_password_reset(session, settings, user)
    notify.queue_invitation_email(session, settings, user.email, raw, invited_by=actor.label)
    return user


def _manageable_user(session: Session, actor: Principal, user_id: uuid.UUID) -> User:
    """The user, if the actor holds every permission the user holds; nobody manages a user
    above them (a password reset or an email change would hand over that user's powers)."""
    user = UserRepository(session, actor.tenant_id).get(user_id)
    missing = sorted(set(user.role.permissions) - actor.permissions)
    if missing:
        raise Forbidden(f"you cannot manage a user who holds permissions you do not hold: "
                        f"{', '.join(missing)}")
    return user


def update_user(session: Session, actor: Principal, user_id: uuid.UUID,
                data: schemas.UserUpdate) -> User:
    user = _manageable_user(session, actor, user_id)
    if data.email is not None and normalize_email(data.email) != user.email:
        email = normalize_email(data.email)
        if CredentialLookup(session).email_taken(email, excluding=user.id):
            raise Conflict("a user with this email already exists")
        user.email = email
    if data.full_name is not None:
        user.full_name = data.full_name
    if data.role_id is not None and data.role_id != user.role_id:
        if user.id == actor.user_id:
            raise Conflict("you cannot change your own role")
        role = _assignable_role(session, actor, actor.tenant_id, data.role_id)
        user.role_id, user.role = role.id, role
    if data.is_active is not None and data.is_active != user.is_active:
        if user.id == actor.user_id:
            raise Conflict("you cannot deactivate yourself")
        user.is_active = data.is_active
    session.flush()
    return user


def set_user_reseller(session: Session, actor: Principal, user_id: uuid.UUID,
                      reseller_id: uuid.UUID | None) -> User:
    """Make a staff user one of a reseller's staff (None: the tenant's own staff again)."""
    user = _manageable_user(session, actor, user_id)
    if user.id == actor.user_id:
        raise Conflict("you cannot move yourself to or from a reseller")
    user.reseller_id = reseller_id
    session.flush()
    return user


def users_of_reseller(session: Session, tenant_id: uuid.UUID,
                      reseller_id: uuid.UUID) -> list[User]:
    repo = UserRepository(session, tenant_id)
    return list(session.scalars(repo.select().where(User.reseller_id == reseller_id)
                                .order_by(User.email)))


def delete_user(session: Session, actor: Principal, user_id: uuid.UUID) -> None:
    user = _manageable_user(session, actor, user_id)
    if user.id == actor.user_id:
        raise Conflict("you cannot delete yourself")
    UserRepository(session, actor.tenant_id).delete(user)


def unlock_user(session: Session, actor: Principal, user_id: uuid.UUID) -> User:
    user = _manageable_user(session, actor, user_id)
    user.locked_until = None
    user.failed_login_count = 0
    session.flush()
    return user


def reset_user_totp(session: Session, actor: Principal, user_id: uuid.UUID) -> User:
    """Turn off another user's two-factor login (a lost phone); they set it up again."""
    user = _manageable_user(session, actor, user_id)
    if user.id == actor.user_id:
        raise Conflict("turn off your own two-factor login with your password and a code")
    user.totp_enabled = False
    user.totp_secret = None
    user.totp_last_step = None
    session.flush()
    return user


def admin_password_reset(session: Session, settings: Settings, actor: Principal,
                         user_id: uuid.UUID) -> datetime:
    """An administrator sends a user a reset link; the token goes only to the user's email."""
    user = _manageable_user(session, actor, user_id)
    if not user.is_active:
        raise Conflict("the user is deactivated; reactivate them first")
    raw, token = auth.issue_password_reset(session, settings, user)
    notify.queue_password_reset_email(session, settings, user.email, raw)
    return token.expires_at


# API keys ------------------------------------------------------------------------------

def list_api_keys(session: Session, tenant_id: uuid.UUID, params: PageParams) -> Page[ApiKey]:
    repo = ApiKeyRepository(session, tenant_id)
    return repo.list(params, repo.select().order_by(ApiKey.created_at.desc()))


def get_api_key(session: Session, tenant_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey:
    return ApiKeyRepository(session, tenant_id).get(key_id)


def create_api_key(session: Session, actor: Principal,
                   data: schemas.ApiKeyCreate) -> tuple[ApiKey, str]:
    """Create an API key; the raw key is returned once and never stored."""
    scopes = _check_permissions(data.scopes, actor)
    if data.expires_at is not None and data.expires_at <= utcnow():
        raise ValidationFailed("expires_at must be in the future")
    prefix, raw = security.new_api_key()
    key = ApiKey(name=data.name, prefix=prefix, key_hash=security.sha256_hex(raw),
                 scopes=scopes, created_by_id=actor.user_id, expires_at=data.expires_at)
    return ApiKeyRepository(session, actor.tenant_id).add(key), raw


def revoke_api_key(session: Session, actor: Principal, key_id: uuid.UUID) -> ApiKey:
    key = ApiKeyRepository(session, actor.tenant_id).get(key_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.flush()
    return key


# Audit log -----------------------------------------------------------------------------

class AuditRepository(TenantRepository[AuditLog]):
    model = AuditLog


def list_audit_log(session: Session, tenant_id: uuid.UUID, params: PageParams, *,
                   entity_type: str | None = None, entity_id: str | None = None,
                   action: str | None = None, actor_id: uuid.UUID | None = None,
                   since: datetime | None = None, until: datetime | None = None,
                   ) -> Page[AuditLog]:
    repo = AuditRepository(session, tenant_id)
    stmt = repo.select()
    if entity_type:
        stmt = stmt.where(AuditLog.entity_type == entity_type)
    if entity_id:
        stmt = stmt.where(AuditLog.entity_id == entity_id)
    if action:
        stmt = stmt.where(AuditLog.action == action)
    if actor_id:
        stmt = stmt.where(AuditLog.actor_id == actor_id)
    if since:
        stmt = stmt.where(AuditLog.created_at >= since)
    if until:
        stmt = stmt.where(AuditLog.created_at < until)
    return repo.list_by_key(params, stmt, KeyOrder(AuditLog.created_at, AuditLog.id))
