"""Identity JSON API: login and tokens, the tenant, users, roles, API keys, audit log."""

from __future__ import annotations

import logging
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse

from dotmac_isp.modules.identity import auth, notify, schemas, service
from dotmac_isp.modules.identity.deps import (
    AppSettings,
    CurrentPrincipal,
    CurrentUser,
    DbSession,
    require,
)
from dotmac_isp.modules.identity.models import ApiKey, AuditLog, Role, Tenant
from dotmac_isp.modules.identity.permissions import ALL_PERMISSIONS, Permission
from dotmac_isp.modules.identity.principal import Principal
from dotmac_isp.sdks.platform.repositories.auth import CredentialLookup
from dotmac_isp.shared.errors import AppError
from dotmac_isp.shared.pagination import Page, PageParams, page_params
from dotmac_isp.shared.timestamps import UTCDateTimeIn
from dotmac_isp.shared.web_errors import error_response

log = logging.getLogger(__name__)
router = APIRouter()
Paging = Annotated[PageParams, Depends(page_params)]
P = Permission


def _tokens(result: auth.LoginResult) -> schemas.TokenPair | JSONResponse:
    if result.error is not None or result.tokens is None:
        return error_response(result.error or AppError("login failed"))
    t = result.tokens
    return schemas.TokenPair(access_token=t.access_token, refresh_token=t.refresh_token,
                             expires_in=t.expires_in)


# Authentication ------------------------------------------------------------------------

@router.post("/auth/login", response_model=schemas.TokenPair, tags=["auth"],
             responses={401: {}, 423: {}})
def login(body: schemas.LoginRequest, session: DbSession,
          settings: AppSettings) -> schemas.TokenPair | JSONResponse:
    """Exchange email and password (and a TOTP code when enabled) for tokens."""
    return _tokens(auth.login(session, settings, body.email, body.password, body.totp_code))


@router.post("/auth/refresh", response_model=schemas.TokenPair, tags=["auth"],
             responses={401: {}})
def refresh(body: schemas.RefreshRequest, session: DbSession,
            settings: AppSettings) -> schemas.TokenPair | JSONResponse:
    """Rotate a refresh token: the old one stops working, a new pair is returned."""
    return _tokens(auth.refresh(session, settings, body.refresh_token))


@router.post("/auth/logout", status_code=204, tags=["auth"])
def logout(body: schemas.RefreshRequest, session: DbSession) -> Response:
    """Revoke the refresh token (and every token rotated from the same login)."""
    auth.logout(session, body.refresh_token)
    return Response(status_code=204)


@router.get("/auth/me", response_model=schemas.MeOut, tags=["auth"])
def me(session: DbSession, principal: CurrentPrincipal) -> schemas.MeOut:
    user = (CredentialLookup(session).user_by_id(principal.user_id)
            if principal.user_id else None)
    return schemas.MeOut(
        tenant=schemas.TenantOut.model_validate(service.get_tenant(session, principal.tenant_id)),
        user=schemas.UserOut.of(user) if user else None,
        actor_type=principal.actor_type.value,
        permissions=sorted(principal.permissions),
    )


@router.post("/auth/password", status_code=204, tags=["auth"])
def change_password(body: schemas.PasswordChange, session: DbSession, settings: AppSettings,
                    user: CurrentUser) -> Response:
    """Change your own password. Other sessions are signed out."""
    auth.change_password(session, settings, user, body.current_password, body.new_password)
    return Response(status_code=204)


@router.post("/auth/password-reset/request", status_code=202, tags=["auth"])
def request_password_reset(body: schemas.PasswordResetRequest, session: DbSession,
                           settings: AppSettings) -> dict[str, str]:
    """Email a reset link. The answer is the same whether or not the address is known."""
    user = CredentialLookup(session).user_by_email(body.email)
    if user is not None and user.is_active:
        raw, _token = auth.issue_password_reset(session, settings, user)
        notify.queue_password_reset_email(session, settings, user.email, raw)
    return {"status": "if the address belongs to an account, a reset link has been sent"}


@router.post("/auth/password-reset/confirm", status_code=204, tags=["auth"])
def confirm_password_reset(body: schemas.PasswordResetConfirm, session: DbSession,
                           settings: AppSettings) -> Response:
    auth.reset_password(session, settings, body.token, body.new_password)
    return Response(status_code=204)


@router.post("/auth/totp/setup", response_model=schemas.TotpSetup, tags=["auth"])
def totp_setup(user: CurrentUser, session: DbSession) -> schemas.TotpSetup:
    """Start two-factor setup: returns the secret to load into an authenticator app."""
    secret, uri = auth.begin_totp(user)
    session.flush()
    return schemas.TotpSetup(secret=secret, otpauth_uri=uri)


@router.post("/auth/totp/enable", status_code=204, tags=["auth"])
def totp_enable(body: schemas.TotpCode, user: CurrentUser, session: DbSession) -> Response:
    auth.enable_totp(user, body.code)
    session.flush()
    return Response(status_code=204)


@router.post("/auth/totp/disable", status_code=204, tags=["auth"])
def totp_disable(body: schemas.TotpDisable, user: CurrentUser, session: DbSession) -> Response:
    auth.disable_totp(user, body.password, body.code)
    session.flush()
    return Response(status_code=204)


# Tenant and permissions ----------------------------------------------------------------

@router.get("/tenant", response_model=schemas.TenantOut, tags=["tenant"])
def get_tenant(session: DbSession, principal: Principal = require(P.TENANT_READ)) -> Tenant:
    return service.get_tenant(session, principal.tenant_id)


@router.patch("/tenant", response_model=schemas.TenantOut, tags=["tenant"])
def update_tenant(body: schemas.TenantUpdate, session: DbSession,
                  principal: Principal = require(P.TENANT_WRITE)) -> Tenant:
    return service.update_tenant(session, principal.tenant_id, body)


@router.get("/permissions", response_model=list[str], tags=["roles"])
def list_permissions(principal: Principal = require(P.ROLES_READ)) -> list[str]:
    return sorted(ALL_PERMISSIONS)


# Roles ---------------------------------------------------------------------------------

@router.get("/roles", response_model=Page[schemas.RoleOut], tags=["roles"])
def list_roles(session: DbSession, paging: Paging,
               principal: Principal = require(P.ROLES_READ)) -> Page[Role]:
    return service.list_roles(session, principal.tenant_id, paging)


@router.post("/roles", response_model=schemas.RoleOut, status_code=201, tags=["roles"])
def create_role(body: schemas.RoleCreate, session: DbSession,
                principal: Principal = require(P.ROLES_WRITE)) -> Role:
    return service.create_role(session, principal, body)


@router.get("/roles/{role_id}", response_model=schemas.RoleOut, tags=["roles"])
def get_role(role_id: uuid.UUID, session: DbSession,
             principal: Principal = require(P.ROLES_READ)) -> Role:
    return service.get_role(session, principal.tenant_id, role_id)


@router.patch("/roles/{role_id}", response_model=schemas.RoleOut, tags=["roles"])
def update_role(role_id: uuid.UUID, body: schemas.RoleUpdate, session: DbSession,
                principal: Principal = require(P.ROLES_WRITE)) -> Role:
    return service.update_role(session, principal, role_id, body)


@router.delete("/roles/{role_id}", status_code=204, tags=["roles"])
def delete_role(role_id: uuid.UUID, session: DbSession,
                principal: Principal = require(P.ROLES_WRITE)) -> Response:
    service.delete_role(session, principal, role_id)
    return Response(status_code=204)


# Users ---------------------------------------------------------------------------------

@router.get("/users", response_model=Page[schemas.UserOut], tags=["users"])
def list_users(session: DbSession, paging: Paging,
               q: str | None = Query(None, max_length=200, description="email or name"),
               active: bool | None = None, role_id: uuid.UUID | None = None,
               principal: Principal = require(P.USERS_READ)) -> Page[schemas.UserOut]:
    page = service.list_users(session, principal.tenant_id, paging, query=q, active=active,
                              role_id=role_id)
    return page.map(schemas.UserOut.of)


@router.post("/users", response_model=schemas.UserOut, status_code=201, tags=["users"])
def create_user(body: schemas.UserCreate, session: DbSession, settings: AppSettings,
                principal: Principal = require(P.USERS_WRITE)) -> schemas.UserOut:
    return schemas.UserOut.of(
        service.create_user(session, settings, principal.tenant_id, body, principal))


@router.get("/users/{user_id}", response_model=schemas.UserOut, tags=["users"])
def get_user(user_id: uuid.UUID, session: DbSession,
             principal: Principal = require(P.USERS_READ)) -> schemas.UserOut:
    return schemas.UserOut.of(service.get_user(session, principal.tenant_id, user_id))


@router.patch("/users/{user_id}", response_model=schemas.UserOut, tags=["users"])
def update_user(user_id: uuid.UUID, body: schemas.UserUpdate, session: DbSession,
                principal: Principal = require(P.USERS_WRITE)) -> schemas.UserOut:
    return schemas.UserOut.of(service.update_user(session, principal, user_id, body))


@router.delete("/users/{user_id}", status_code=204, tags=["users"])
def delete_user(user_id: uuid.UUID, session: DbSession,
                principal: Principal = require(P.USERS_WRITE)) -> Response:
    service.delete_user(session, principal, user_id)
    return Response(status_code=204)


@router.post("/users/{user_id}/unlock", response_model=schemas.UserOut, tags=["users"])
def unlock_user(user_id: uuid.UUID, session: DbSession,
                principal: Principal = require(P.USERS_WRITE)) -> schemas.UserOut:
    return schemas.UserOut.of(service.unlock_user(session, principal, user_id))


@router.post("/users/{user_id}/password-reset", response_model=schemas.PasswordResetSent,
             status_code=202, tags=["users"])
def send_user_password_reset(user_id: uuid.UUID, session: DbSession, settings: AppSettings,
                             principal: Principal = require(P.USERS_WRITE),
                             ) -> schemas.PasswordResetSent:
    """Email the user a single-use reset link; the token is never shown to the caller."""
    expires_at = service.admin_password_reset(session, settings, principal, user_id)
    return schemas.PasswordResetSent(status="a reset link has been sent to the user's email",
                                     expires_at=expires_at)


@router.post("/users/{user_id}/totp-reset", response_model=schemas.UserOut, tags=["users"])
def reset_user_totp(user_id: uuid.UUID, session: DbSession,
                    principal: Principal = require(P.USERS_WRITE)) -> schemas.UserOut:
    """Turn off a user's two-factor login (a lost device); they can set it up again."""
    return schemas.UserOut.of(service.reset_user_totp(session, principal, user_id))


# API keys ------------------------------------------------------------------------------

@router.get("/api-keys", response_model=Page[schemas.ApiKeyOut], tags=["api-keys"])
def list_api_keys(session: DbSession, paging: Paging,
                  principal: Principal = require(P.API_KEYS_READ)) -> Page[ApiKey]:
    return service.list_api_keys(session, principal.tenant_id, paging)


@router.post("/api-keys", response_model=schemas.ApiKeyCreated, status_code=201,
             tags=["api-keys"])
def create_api_key(body: schemas.ApiKeyCreate, session: DbSession,
                   principal: Principal = require(P.API_KEYS_WRITE)) -> schemas.ApiKeyCreated:
    """Create an API key. The key is in this response only; store it now."""
    key, raw = service.create_api_key(session, principal, body)
    return schemas.ApiKeyCreated.model_validate({**schemas.ApiKeyOut.model_validate(key)
                                                .model_dump(), "key": raw})


@router.get("/api-keys/{key_id}", response_model=schemas.ApiKeyOut, tags=["api-keys"])
def get_api_key(key_id: uuid.UUID, session: DbSession,
                principal: Principal = require(P.API_KEYS_READ)) -> ApiKey:
    return service.get_api_key(session, principal.tenant_id, key_id)


@router.delete("/api-keys/{key_id}", response_model=schemas.ApiKeyOut, tags=["api-keys"])
def revoke_api_key(key_id: uuid.UUID, session: DbSession,
                   principal: Principal = require(P.API_KEYS_WRITE)) -> ApiKey:
    """Revoke an API key; it stops working at once."""
    return service.revoke_api_key(session, principal, key_id)


# Audit log -----------------------------------------------------------------------------

@router.get("/audit-log", response_model=Page[schemas.AuditLogOut], tags=["audit"])
def list_audit_log(
    session: DbSession, paging: Paging,
    entity_type: str | None = Query(None, max_length=64),
    entity_id: str | None = Query(None, max_length=64),
    action: Literal["create", "update", "delete"] | None = None,
    actor_id: uuid.UUID | None = None,
    since: UTCDateTimeIn | None = None,
    until: UTCDateTimeIn | None = None,
    principal: Principal = require(P.AUDIT_READ),
) -> Page[AuditLog]:
    """Who changed what and when, newest first, with before and after values."""
    return service.list_audit_log(session, principal.tenant_id, paging,
                                  entity_type=entity_type, entity_id=entity_id, action=action,
                                  actor_id=actor_id, since=since, until=until)


