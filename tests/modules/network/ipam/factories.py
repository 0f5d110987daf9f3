"""Small typed factories for IPAM tests: VRFs, prefixes, pools (prefix and pool in one go)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.ipam import allocation, pools, prefixes, schemas
from dotmac_isp.modules.network.ipam.enums import (
    AllocationStatus,
    HolderType,
    PoolKind,
    PrefixRole,
    PrefixStatus,
)
from dotmac_isp.modules.network.ipam.models import Allocation, Pool, Prefix, Vrf


def make_vrf(session: Session, tenant: Tenant, name: str | None = None) -> Vrf:
    return prefixes.create_vrf(session, tenant.id, schemas.VrfCreate(
        name=name or f"vrf-{uuid.uuid4().hex[:6]}"))


def make_prefix(session: Session, tenant: Tenant, network: str, *, vrf: Vrf | None = None,
                role: PrefixRole = PrefixRole.SUBSCRIBER_POOL,
                status: PrefixStatus = PrefixStatus.ACTIVE, threshold: int = 90) -> Prefix:
    return prefixes.create_prefix(session, tenant.id, schemas.PrefixCreate(
        network=network, vrf_id=vrf.id if vrf else None, role=role, status=status,
        alert_threshold_percent=threshold))


def make_pool(session: Session, tenant: Tenant, network: str, *, name: str | None = None,
              kind: PoolKind = PoolKind.ADDRESS, delegated_length: int | None = None,
              fully_usable: bool = False, gateway: str | None = None, threshold: int = 90,
              vrf: Vrf | None = None, prefix: Prefix | None = None) -> Pool:
    prefix = prefix or make_prefix(session, tenant, network, vrf=vrf)
    return pools.create_pool(session, tenant.id, schemas.PoolCreate(
        name=name or f"pool-{network}", prefix_id=prefix.id, kind=kind,
        delegated_length=delegated_length, fully_usable=fully_usable, gateway=gateway,
        alert_threshold_percent=threshold))


def take(session: Session, pool: Pool, address: str | None = None, *,
         holder_id: uuid.UUID | None = None, status: AllocationStatus = AllocationStatus.ALLOCATED,
         **kwargs: Any) -> Allocation:
    """Allocate from a pool; a holder_id makes the holder a subscription."""
    holder_type = HolderType.SUBSCRIPTION if holder_id else HolderType.OTHER
    return allocation.allocate(session, pool.tenant_id, pool.id, address=address,
                               status=status, holder_type=holder_type, holder_id=holder_id,
                               **kwargs)
