"""Request and response bodies of the identity API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from dotmac_isp.shared.money import CurrencyCode
from dotmac_isp.shared.timestamps import UTCDateTimeIn

Name = Field(min_length=1, max_length=200)


class ORM(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class LoginRequest(BaseModel):
    email: EmailStr
    password: str = Field(min_length=1, max_length=256)
    totp_code: str | None = Field(None, max_length=10)


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=256)


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class PasswordResetRequest(BaseModel):
    email: EmailStr


class PasswordResetConfirm(BaseModel):
    token: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class PasswordResetSent(BaseModel):
    status: str
    expires_at: datetime


class TotpSetup(BaseModel):
    secret: str
    otpauth_uri: str


class TotpCode(BaseModel):
    code: str = Field(min_length=6, max_length=10)


class TotpDisable(BaseModel):
    password: str = Field(min_length=1, max_length=256)
    code: str = Field(min_length=6, max_length=10)


class TenantOut(ORM):
    id: uuid.UUID
    name: str
    slug: str
    is_active: bool
    currency: str
    timezone: str
    created_at: datetime


class TenantUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    currency: CurrencyCode | None = None
    timezone: str | None = Field(None, min_length=1, max_length=64)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None:
            return value
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class RoleOut(ORM):
    id: uuid.UUID
    name: str
    description: str
    permissions: list[str]
    is_builtin: bool


class RoleCreate(BaseModel):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\- ]+$")
    description: str = Field("", max_length=255)
    permissions: list[str] = Field(default_factory=list, max_length=100)


class RoleUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\- ]+$")
    description: str | None = Field(None, max_length=255)
    permissions: list[str] | None = Field(None, max_length=100)


class UserOut(ORM):
    id: uuid.UUID
    email: str
    full_name: str
    role_id: uuid.UUID
    role_name: str
    is_active: bool
    totp_enabled: bool
    locked_until: datetime | None
    last_login_at: datetime | None
    created_at: datetime
    reseller_id: uuid.UUID | None = None

    @classmethod
    def of(cls, user: Any) -> UserOut:
        return cls.model_validate({**_attrs(user), "role_name": user.role.name})


def _attrs(obj: Any) -> dict[str, Any]:
    return {k: getattr(obj, k) for k in UserOut.model_fields if k != "role_name"}


class UserCreate(BaseModel):
    email: EmailStr
    full_name: str = Field("", max_length=200)
    password: str = Field(min_length=1, max_length=256)
    role_id: uuid.UUID


class UserInvite(BaseModel):
    email: EmailStr
    full_name: str = Field("", max_length=200)
    role_id: uuid.UUID


class UserUpdate(BaseModel):
    email: EmailStr | None = None
    full_name: str | None = Field(None, max_length=200)
    role_id: uuid.UUID | None = None
    is_active: bool | None = None


class MeOut(BaseModel):
    tenant: TenantOut
    user: UserOut | None
    actor_type: str
    permissions: list[str]


class ApiKeyOut(ORM):
    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    created_by_id: uuid.UUID | None
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(min_length=1, max_length=100)
    expires_at: UTCDateTimeIn | None = None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The secret key. It is shown only in this response.")


class AuditLogOut(ORM):
    id: uuid.UUID
    created_at: datetime
    actor_type: str
    actor_id: uuid.UUID | None
    actor_label: str
    action: str
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None
    ip_address: str | None
    summary: str
