"""The demo ISP's address plan: CGNAT and public pools, IPv6 delegation, infrastructure."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from dotmac_isp.modules.network.ipam import allocation, pools, prefixes, schemas
from dotmac_isp.modules.network.ipam.enums import AllocationStatus, PoolKind, PrefixRole
from dotmac_isp.modules.network.ipam.repository import PoolRepository

R = PrefixRole
# (network, role, pool name (None for a plain prefix), pool options), parents first
PLAN: tuple[tuple[str, PrefixRole, str | None, dict[str, object]], ...] = (
    ("100.64.0.0/10", R.SUBSCRIBER_POOL, None, {}),
    ("100.64.0.0/22", R.SUBSCRIBER_POOL, "Residential CGNAT",
     {"gateway": "100.64.0.1", "alert_threshold_percent": 85}),
    ("198.51.100.0/24", R.SUBSCRIBER_POOL, "Business static", {"gateway": "198.51.100.1"}),
    ("10.255.0.0/16", R.INFRASTRUCTURE, None, {}),
    ("10.255.0.0/24", R.LOOPBACK, "Router loopbacks", {"fully_usable": True}),
    ("10.255.1.0/24", R.POINT_TO_POINT, "Core links", {"fully_usable": True}),
    ("10.255.10.0/24", R.MANAGEMENT, "Management", {"gateway": "10.255.10.1"}),
    ("2001:db8::/32", R.SUBSCRIBER_POOL, None, {}),
    ("2001:db8:1000::/40", R.SUBSCRIBER_POOL, "Residential IPv6 PD",
     {"kind": PoolKind.DELEGATION, "delegated_length": 56}),
    ("2001:db8:ff00::/64", R.INFRASTRUCTURE, "IPv6 infrastructure", {}),
)
RESERVED = (("Router loopbacks", "core-1 lo0"), ("Router loopbacks", "bng-1 lo0"),
            ("Router loopbacks", "bng-2 lo0"), ("Core links", "core-1 xe-0/0/0"),
            ("Core links", "core-2 xe-0/0/0"), ("Management", "olt-1 mgmt"),
            ("Management", "switch-1 mgmt"))


def seed(session: Session, tenant_id: uuid.UUID) -> list[str]:
    """Create the demo address plan if it is not there yet; returns what was created."""
    if PoolRepository(session, tenant_id).by_name("Residential CGNAT") is not None:
        return []
    made: dict[str, uuid.UUID] = {}
    for network, role, pool_name, options in PLAN:
        prefix = prefixes.create_prefix(session, tenant_id, schemas.PrefixCreate(
            network=network, role=role))
        if pool_name:
            made[pool_name] = pools.create_pool(session, tenant_id, schemas.PoolCreate(
                name=pool_name, prefix_id=prefix.id, **options)).id
    for pool_name, description in RESERVED:
        allocation.allocate(session, tenant_id, made[pool_name],
                            status=AllocationStatus.RESERVED, description=description)
    return [f"{len(PLAN)} prefixes", f"{len(made)} IP pools"]


def pool_ids(session: Session, tenant_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """The demo pools by name (for the demo plans to hand out addresses from)."""
    repo = PoolRepository(session, tenant_id)
    found = {}
    for network_name in ("Residential CGNAT", "Business static", "Residential IPv6 PD"):
        pool = repo.by_name(network_name)
        if pool is not None:
            found[network_name] = pool.id
    return found
