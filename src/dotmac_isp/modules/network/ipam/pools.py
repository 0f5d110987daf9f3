"""Pools: which leaf prefix hands out addresses or delegated prefixes, and how."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from dotmac_isp.modules.network.ipam import allocation as alloc
from dotmac_isp.modules.network.ipam import free_space, schemas, utilization
from dotmac_isp.modules.network.ipam.addressing import (
    PoolLayout,
    check_pool_layout,
    encode_slot,
    parse_address,
    parse_network,
)
from dotmac_isp.modules.network.ipam.enums import AllocationStatus, HolderType, PoolKind
from dotmac_isp.modules.network.ipam.errors import (
    AddressConflictError,
    InvalidPrefixError,
    PrefixInUseError,
    PrefixOverlapError,
)
from dotmac_isp.modules.network.ipam.models import Allocation, Pool
from dotmac_isp.modules.network.ipam.repository import (
    AllocationRepository,
    PoolRepository,
    PrefixRepository,
    lock_address_space,
)
from dotmac_isp.shared import references
from dotmac_isp.shared.errors import Conflict
from dotmac_isp.shared.pagination import Page, PageParams


def list_pools(session: Session, tenant_id: uuid.UUID, params: PageParams, *,
               kind: PoolKind | None = None, family: int | None = None) -> Page[Pool]:
    repo = PoolRepository(session, tenant_id)
    stmt = repo.select().order_by(Pool.name)
    if kind is not None:
        stmt = stmt.where(Pool.kind == kind.value)
    if family is not None:
        stmt = stmt.where(Pool.family == family)
    return repo.list(params, stmt)


def get_pool(session: Session, tenant_id: uuid.UUID, pool_id: uuid.UUID) -> Pool:
    return PoolRepository(session, tenant_id).get(pool_id)


def create_pool(session: Session, tenant_id: uuid.UUID, data: schemas.PoolCreate) -> Pool:
    """Make a leaf prefix a pool, optionally reserving its gateway address."""
    prefix = references.referenced(session, PrefixRepository(session, tenant_id).find,
                                   data.prefix_id, "prefix_id", "prefix")
    lock_address_space(session, tenant_id)
    repo = PoolRepository(session, tenant_id)
    if repo.by_name(data.name) is not None:
        raise Conflict(f"a pool named {data.name!r} already exists")
    existing = repo.for_prefixes([prefix.id]).get(prefix.id)
    if existing is not None:
        raise AddressConflictError(f"{prefix.network} is already pool {existing.name!r}")
    if PrefixRepository(session, tenant_id).has_children(prefix.id):
        raise PrefixOverlapError(f"{prefix.network} has child prefixes; a pool must be a leaf "
                                 "prefix")
    layout = PoolLayout(parse_network(prefix.network), data.kind, data.fully_usable,
                        data.delegated_length)
    check_pool_layout(layout)
    pool = repo.add(Pool(
        name=data.name, prefix_id=prefix.id, vrf_id=prefix.vrf_id, family=prefix.family,
        network=prefix.network, kind=data.kind.value, delegated_length=data.delegated_length,
        fully_usable=data.fully_usable, alert_threshold_percent=data.alert_threshold_percent,
        description=data.description, allocated_count=0))
    free_space.rebuild(session, pool, layout)
    if data.gateway:
        _reserve_gateway(session, pool, data.gateway)
    return pool


def _reserve_gateway(session: Session, pool: Pool, address: str) -> None:
    if pool.kind != PoolKind.ADDRESS:
        raise InvalidPrefixError("only address pools have a gateway")
    parsed = parse_address(address)
    alloc.allocate_in_locked_pool(session, pool, address=str(parsed),
                                  status=AllocationStatus.RESERVED, holder_type=HolderType.OTHER,
                                  description=alloc.GATEWAY_DESCRIPTION)
    pool.gateway = str(parsed)
    session.flush()


def _gateway_allocation(session: Session, pool: Pool) -> Allocation | None:
    if pool.gateway is None:
        return None
    repo = AllocationRepository(session, pool.tenant_id)
    layout = utilization.layout_of(pool)
    slot = encode_slot(layout.index_of_address(parse_address(pool.gateway)))
    return repo.at_slot(pool.id, slot)


def _change_fully_usable(session: Session, pool: Pool, fully_usable: bool) -> None:
    old = utilization.layout_of(pool)
    new = PoolLayout(old.network, old.kind, fully_usable, old.delegated_length)
    check_pool_layout(new)
    # Only the first and last index can change between handed out and held back.
    for index in sorted({0, old.slot_count - 1}):
        was_usable = old.describe_excluded(index) is None
        now_usable = new.describe_excluded(index) is None
        slot = encode_slot(index)
        if was_usable and not now_usable and not free_space.claim(session, pool, slot):
            taken = AllocationRepository(session, pool.tenant_id).at_slot(pool.id, slot)
            raise AddressConflictError(
                f"{taken.address if taken else index} is {new.describe_excluded(index)} and "
                "is in use; release it before the pool stops handing it out")
        if now_usable and not was_usable:
            free_space.release(session, pool, slot)
    pool.fully_usable = fully_usable


def update_pool(session: Session, tenant_id: uuid.UUID, pool_id: uuid.UUID,
                data: schemas.PoolUpdate) -> Pool:
    """Rename, re-describe, change the threshold or gateway, or mark fully usable."""
    repo = PoolRepository(session, tenant_id)
    pool = repo.lock(pool_id)
    if data.name is not None and data.name != pool.name:
        if repo.by_name(data.name) is not None:
            raise Conflict(f"a pool named {data.name!r} already exists")
        pool.name = data.name
    if data.description is not None:
        pool.description = data.description
    if data.fully_usable is not None and data.fully_usable != pool.fully_usable:
        _change_fully_usable(session, pool, data.fully_usable)
    if data.alert_threshold_percent is not None:
        pool.alert_threshold_percent = data.alert_threshold_percent
    if "gateway" in data.model_fields_set:
        new_gateway = str(parse_address(data.gateway)) if data.gateway else None
        if new_gateway != pool.gateway:
            current = _gateway_allocation(session, pool)
            if current is not None:
                alloc.release_in_locked_pool(session, pool, current)
            pool.gateway = None
            if new_gateway is not None:
                _reserve_gateway(session, pool, new_gateway)
    session.flush()
    utilization.evaluate_pool(session, pool)
    return pool


def delete_pool(session: Session, tenant_id: uuid.UUID, pool_id: uuid.UUID) -> None:
    """Delete a pool that hands out nothing (its gateway reservation goes with it)."""
    repo = PoolRepository(session, tenant_id)
    pool = repo.lock(pool_id)
    gateway = _gateway_allocation(session, pool)
    in_use = pool.allocated_count - (1 if gateway is not None else 0)
    if in_use > 0:
        raise PrefixInUseError(f"pool {pool.name!r} still has {in_use} allocation(s); release "
                               "them first")
    if gateway is not None:
        alloc.release_in_locked_pool(session, pool, gateway)
    repo.delete(pool)
