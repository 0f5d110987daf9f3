"""What the staff sales pages share: the tenant and its day, staff names, stage labels."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import service as billing_service
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.sales.enums import BOARD_STAGES
from dotmac_isp.shared.pagination import PageParams

STAGE_LABELS = {"new": "New", "contacted": "Contacted", "qualified": "Qualified",
                "quoted": "Quoted", "won": "Won", "lost": "Lost"}
STAGES = [s.value for s in BOARD_STAGES]


def helpers(session: Session, user: User) -> dict[str, Any]:
    tenant = identity_service.get_tenant(session, user.tenant_id)
    return {"current_user": user, "tenant": tenant,
            "today": billing_service.tenant_today(session, user.tenant_id),
            "stage_labels": STAGE_LABELS, "stages": STAGES}


def staff(session: Session, tenant_id: uuid.UUID) -> list[User]:
    """Active staff (the owners a lead may have), by name."""
    users = identity_service.list_users(session, tenant_id, PageParams(limit=200),
                                        active=True).items
    return sorted(users, key=lambda u: (u.full_name or u.email).lower())


def names(users: list[User]) -> dict[uuid.UUID, str]:
    return {u.id: u.full_name or u.email for u in users}
