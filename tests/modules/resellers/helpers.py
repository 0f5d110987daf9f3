"""Resellers, their staff and customers for the resellers tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.identity.auth import principal_for_user
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.resellers import schemas, service
from dotmac_isp.modules.resellers.models import Reseller
from tests.support.factories import StaffUser, make_user


def make_reseller(session: Session, tenant: Tenant, slug: str, **overrides: Any) -> Reseller:
    data: dict[str, Any] = {"name": f"{slug.title()} Networks", "slug": slug,
                            "contact_name": "Kemi Ade", "email": f"sales@{slug}.example",
                            "display_name": f"{slug.title()} Broadband",
                            "primary_colour": "#123456", "accent_colour": "#abcdef"}
    data.update(overrides)
    return service.create_reseller(session, tenant.id, schemas.ResellerIn.model_validate(data))


def reseller_staff(session: Session, settings: Settings, tenant: Tenant, reseller: Reseller,
                   admin: StaffUser, role: str = "admin") -> StaffUser:
    """A staff user (by default with the admin role) who works for the reseller."""
    staff = make_user(session, settings, tenant, role)
    identity_service.set_user_reseller(session, principal_for_user(admin.user), staff.user.id,
                                       reseller.id)
    session.flush()
    return staff


def set_rule(session: Session, tenant: Tenant, reseller: Reseller, plan_id: Any,
             percent: str, activation: str = "0") -> None:
    service.set_rule(session, tenant.id, reseller.id, schemas.RuleIn(
        plan_id=plan_id, percent=Decimal(percent), activation_amount=Decimal(activation)))
