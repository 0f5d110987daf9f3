"""VRFs and the prefix hierarchy. Services flush; the caller's unit of work commits.

Prefixes of one VRF form a tree: CIDR blocks either nest or are disjoint, so each prefix's
parent is the smallest prefix containing it. Inserting a prefix between a parent and its
children re-parents those children; deleting one hands its children to its parent.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_
from sqlalchemy.orm import Session

from dotmac_isp.modules.network.ipam import schemas, utilization
from dotmac_isp.modules.network.ipam.addressing import (
    IPNetwork,
    network_keys,
    parse_network,
    supernet_start_keys,
)
from dotmac_isp.modules.network.ipam.errors import (
    DuplicatePrefixError,
    PrefixInUseError,
    PrefixOverlapError,
)
from dotmac_isp.modules.network.ipam.models import Pool, Prefix, Vrf
from dotmac_isp.modules.network.ipam.repository import (
    PoolRepository,
    PrefixRepository,
    VrfRepository,
    lock_address_space,
)
from dotmac_isp.shared import references
from dotmac_isp.shared.errors import Conflict
from dotmac_isp.shared.pagination import Page, PageParams

# VRFs ------------------------------------------------------------------------------------


def list_vrfs(session: Session, tenant_id: uuid.UUID, params: PageParams) -> Page[Vrf]:
    repo = VrfRepository(session, tenant_id)
    return repo.list(params, repo.select().order_by(Vrf.name))


def get_vrf(session: Session, tenant_id: uuid.UUID, vrf_id: uuid.UUID) -> Vrf:
    return VrfRepository(session, tenant_id).get(vrf_id)


def create_vrf(session: Session, tenant_id: uuid.UUID, data: schemas.VrfCreate) -> Vrf:
    """Create a VRF: a separate address space whose prefixes may repeat other VRFs'."""
    repo = VrfRepository(session, tenant_id)
    if repo.by_name(data.name) is not None:
        raise Conflict(f"a VRF named {data.name!r} already exists")
    return repo.add(Vrf(name=data.name, rd=data.rd, description=data.description))


def update_vrf(session: Session, tenant_id: uuid.UUID, vrf_id: uuid.UUID,
               data: schemas.VrfUpdate) -> Vrf:
    repo = VrfRepository(session, tenant_id)
    vrf = repo.get(vrf_id)
    if data.name is not None and data.name != vrf.name:
        if repo.by_name(data.name) is not None:
            raise Conflict(f"a VRF named {data.name!r} already exists")
        vrf.name = data.name
    if "rd" in data.model_fields_set:
        vrf.rd = data.rd
    if data.description is not None:
        vrf.description = data.description
    session.flush()
    return vrf


def delete_vrf(session: Session, tenant_id: uuid.UUID, vrf_id: uuid.UUID) -> None:
    repo = VrfRepository(session, tenant_id)
    vrf = repo.get(vrf_id)
    in_use = PrefixRepository(session, tenant_id).count_in_vrf(vrf.id)
    if in_use:
        raise PrefixInUseError(f"VRF {vrf.name!r} still has {in_use} prefix(es); delete them "
                               "first")
    repo.delete(vrf)


# Prefixes --------------------------------------------------------------------------------

def list_prefixes(session: Session, tenant_id: uuid.UUID, params: PageParams, *,
                  vrf_id: uuid.UUID | None = None, family: int | None = None,
                  role: str | None = None, status: str | None = None,
                  parent_id: uuid.UUID | None = None) -> Page[Prefix]:
    repo = PrefixRepository(session, tenant_id)
    stmt = repo.tree(all_vrfs=vrf_id is None, vrf_id=vrf_id, family=family)
    if role:
        stmt = stmt.where(Prefix.role == role)
    if status:
        stmt = stmt.where(Prefix.status == status)
    if parent_id:
        stmt = stmt.where(Prefix.parent_id == parent_id)
    return repo.list(params, stmt)


def get_prefix(session: Session, tenant_id: uuid.UUID, prefix_id: uuid.UUID) -> Prefix:
    return PrefixRepository(session, tenant_id).get(prefix_id)


def list_children(session: Session, tenant_id: uuid.UUID, prefix_id: uuid.UUID,
                  params: PageParams) -> Page[Prefix]:
    repo = PrefixRepository(session, tenant_id)
    repo.get(prefix_id)
    return repo.list(params, repo.children(prefix_id))


def _vrf_label(session: Session, tenant_id: uuid.UUID, vrf_id: uuid.UUID | None) -> str:
    if vrf_id is None:
        return "the global table"
    return f"VRF {VrfRepository(session, tenant_id).get(vrf_id).name!r}"


def _related(repo: PrefixRepository, vrf_id: uuid.UUID | None,
             network: IPNetwork) -> tuple[list[Prefix], list[Prefix]]:
    """(supernets including an equal prefix, subnets) of the network in one VRF.

    Supernets are looked up by the start keys of the network's possible supernets (at most
    128), subnets by a key range: both are index lookups, not a scan of the VRF.
    """
    start, end = network_keys(network)
    stmt = repo.in_space(vrf_id).where(or_(
        Prefix.start_key.in_(supernet_start_keys(network)),
        (Prefix.start_key >= start) & (Prefix.start_key <= end)))
    found: Sequence[Prefix] = repo.session.scalars(stmt).all()
    supernets = sorted((p for p in found if p.start_key <= start and p.end_key >= end),
                       key=lambda p: p.prefix_length)
    subnets = [p for p in found if p.start_key >= start and p.end_key <= end
               and p.prefix_length > network.prefixlen]
    return supernets, subnets


def create_prefix(session: Session, tenant_id: uuid.UUID, data: schemas.PrefixCreate) -> Prefix:
    """Add a prefix to the hierarchy of its VRF; duplicates and prefixes inside pools fail."""
    network = parse_network(data.network)
    references.optional(session, VrfRepository(session, tenant_id).find, data.vrf_id, "vrf_id",
                        "VRF")
    lock_address_space(session, tenant_id)
    repo = PrefixRepository(session, tenant_id)
    supernets, subnets = _related(repo, data.vrf_id, network)
    for existing in supernets:
        if existing.prefix_length == network.prefixlen:
            raise DuplicatePrefixError(
                f"{network} already exists in {_vrf_label(session, tenant_id, data.vrf_id)}")
    parent = supernets[-1] if supernets else None
    if parent is not None:
        pool = PoolRepository(session, tenant_id).for_prefixes([parent.id]).get(parent.id)
        if pool is not None:
            raise PrefixOverlapError(
                f"{network} overlaps pool {pool.name!r} ({pool.network}); a pool's prefix "
                "cannot be subdivided")
    start, end = network_keys(network)
    prefix = repo.add(Prefix(
        vrf_id=data.vrf_id, parent_id=parent.id if parent else None,
        family=network.version, network=str(network), prefix_length=network.prefixlen,
        start_key=start, end_key=end, depth=parent.depth + 1 if parent else 0,
        role=data.role.value, status=data.status.value, description=data.description,
        alert_threshold_percent=data.alert_threshold_percent))
    old_parent_id = parent.id if parent else None
    for child in subnets:
        child.depth += 1
        if child.parent_id == old_parent_id:
            child.parent_id = prefix.id
    session.flush()
    if parent is not None:
        utilization.evaluate_prefix(session, tenant_id, parent)
    if subnets:
        utilization.evaluate_prefix(session, tenant_id, prefix)
    return prefix


def update_prefix(session: Session, tenant_id: uuid.UUID, prefix_id: uuid.UUID,
                  data: schemas.PrefixUpdate) -> Prefix:
    """Change role, status, description or threshold; the network and VRF are fixed."""
    prefix = PrefixRepository(session, tenant_id).get(prefix_id)
    for key, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(prefix, key, value.value if hasattr(value, "value") else value)
    session.flush()
    if data.alert_threshold_percent is not None:
        utilization.evaluate_prefix(session, tenant_id, prefix)
    return prefix


def delete_prefix(session: Session, tenant_id: uuid.UUID, prefix_id: uuid.UUID) -> None:
    """Remove a prefix; its children move up to its parent. A prefix with a pool stays."""
    repo = PrefixRepository(session, tenant_id)
    prefix = repo.get(prefix_id)
    lock_address_space(session, tenant_id)
    pool = PoolRepository(session, tenant_id).for_prefixes([prefix.id]).get(prefix.id)
    if pool is not None:
        raise PrefixInUseError(f"{prefix.network} is the prefix of pool {pool.name!r}; delete "
                               "the pool first")
    _supernets, subnets = _related(repo, prefix.vrf_id, parse_network(prefix.network))
    for child in subnets:
        child.depth -= 1
        if child.parent_id == prefix.id:
            child.parent_id = prefix.parent_id
    session.flush()
    parent = repo.find(prefix.parent_id) if prefix.parent_id else None
    repo.delete(prefix)
    if parent is not None:
        utilization.evaluate_prefix(session, tenant_id, parent)


# The tree ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class TreeNode:
    prefix: Prefix
    pool: Pool | None
    utilization: utilization.Utilization


def prefix_tree(session: Session, tenant_id: uuid.UUID, params: PageParams, *,
                vrf_id: uuid.UUID | None = None, all_vrfs: bool = True,
                family: int | None = None) -> Page[TreeNode]:
    """Prefixes depth first (each parent before its children) with pool and utilization."""
    repo = PrefixRepository(session, tenant_id)
    page = repo.list(params, repo.tree(vrf_id, all_vrfs=all_vrfs, family=family))
    prefixes = list(page.items)
    usage = utilization.prefix_utilizations(session, tenant_id, prefixes)
    pools = PoolRepository(session, tenant_id).for_prefixes([p.id for p in prefixes])
    nodes = [TreeNode(p, pools.get(p.id), usage[p.id]) for p in prefixes]
    return Page(items=nodes, total=page.total, limit=page.limit, offset=page.offset)
