"""Who sees which work orders.

Dispatchers (field:dispatch) and those who only read (field:read without field:write) see
every work order of the tenant. A person who works orders without dispatching them (the
built-in technician role: field:write, no field:dispatch) sees only the work orders assigned
to them: in lists, on pages and in the API another's work order is not found. API keys are
not people and are not limited this way.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.identity.principal import Principal


@dataclass(frozen=True)
class Scope:
    """The tenant, and the one technician whose work orders alone are visible (or None)."""

    tenant_id: uuid.UUID
    technician_id: uuid.UUID | None = None

    @property
    def limited(self) -> bool:
        return self.technician_id is not None


def own_only(principal: Principal) -> bool:
    return (principal.user_id is not None and principal.has(Permission.FIELD_WRITE)
            and not principal.has(Permission.FIELD_DISPATCH))


def scope_of(principal: Principal) -> Scope:
    return Scope(principal.tenant_id, principal.user_id if own_only(principal) else None)


def whole_tenant(tenant_id: uuid.UUID) -> Scope:
    return Scope(tenant_id)
