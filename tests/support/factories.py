"""Small typed factories for tests: tenants, users with a known password, tokens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity import schemas, security, service
from dotmac_isp.modules.identity.models import Tenant, User

PASSWORD = "correct-horse-battery"


@dataclass
class StaffUser:
    user: User
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_tenant(session: Session, slug: str | None = None, **overrides: str) -> Tenant:
    slug = slug or f"isp-{uuid.uuid4().hex[:8]}"
    return service.create_tenant(session, name=overrides.pop("name", slug.upper()), slug=slug,
                                 **overrides)


def access_token(settings: Settings, user: User) -> str:
    return security.encode_access_token(settings.secret_key.get_secret_value(), user.id,
                                        user.tenant_id, timedelta(minutes=15))


def make_user(session: Session, settings: Settings, tenant: Tenant, role: str = "admin", *,
              email: str | None = None, password: str = PASSWORD) -> StaffUser:
    role_obj = service.role_by_name(session, tenant.id, role)
    user = service.create_user(session, settings, tenant.id, schemas.UserCreate(
        email=email or f"{role}-{uuid.uuid4().hex[:8]}@{tenant.slug}.example",
        full_name=f"{role.title()} Person", password=password, role_id=role_obj.id))
    session.flush()
    return StaffUser(user, password, access_token(settings, user))
