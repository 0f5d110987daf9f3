"""Who is making a request: a staff user or an API key, always inside one tenant."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from dotmac_isp.shared.enums import ActorType
from dotmac_isp.shared.errors import Forbidden


@dataclass(frozen=True)
class Principal:
    tenant_id: uuid.UUID
    actor_type: ActorType
    actor_id: uuid.UUID
    label: str
    permissions: frozenset[str] = field(default_factory=frozenset)
    user_id: uuid.UUID | None = None
    reseller_id: uuid.UUID | None = None  # staff of a reseller: only its customers

    def has(self, permission: str) -> bool:
        return permission in self.permissions

    def require(self, permission: str) -> None:
        if permission not in self.permissions:
            raise Forbidden(f"missing permission {permission}")
