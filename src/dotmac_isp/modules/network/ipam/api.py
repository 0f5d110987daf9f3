"""IPAM JSON API: VRFs, prefixes and the tree, pools and their allocations.

Allocations by id, history, alerts and the subscription lookup are in api_allocations.py and
included here, so main.py mounts one router.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from dotmac_isp.modules.identity.deps import DbSession, require
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.identity.principal import Principal
from dotmac_isp.modules.network.ipam import (
    allocation,
    history,
    pools,
    prefixes,
    schemas,
    utilization,
)
from dotmac_isp.modules.network.ipam.api_allocations import router as allocations_router
from dotmac_isp.modules.network.ipam.enums import (
    AllocationStatus,
    IPFamily,
    PoolKind,
    PrefixRole,
)
from dotmac_isp.modules.network.ipam.enums import PrefixStatus as PStatus
from dotmac_isp.modules.network.ipam.models import Allocation, Pool, Prefix, Vrf
from dotmac_isp.shared.pagination import Page, PageParams, page_params

router = APIRouter(prefix="/ipam")
Paging = Annotated[PageParams, Depends(page_params)]
Family = IPFamily
READ, WRITE = Permission.NETWORK_READ, Permission.NETWORK_WRITE
_ERRORS: dict[int | str, dict[str, Any]] = {404: {}, 409: {}, 422: {}}


# VRFs ------------------------------------------------------------------------------------

@router.get("/vrfs", response_model=Page[schemas.VrfOut], tags=["ipam"])
def list_vrfs(session: DbSession, paging: Paging,
              principal: Principal = require(READ)) -> Page[Vrf]:
    return prefixes.list_vrfs(session, principal.tenant_id, paging)


@router.post("/vrfs", response_model=schemas.VrfOut, status_code=201, tags=["ipam"],
             responses=_ERRORS)
def create_vrf(body: schemas.VrfCreate, session: DbSession,
               principal: Principal = require(WRITE)) -> Vrf:
    return prefixes.create_vrf(session, principal.tenant_id, body)


@router.get("/vrfs/{vrf_id}", response_model=schemas.VrfOut, tags=["ipam"])
def get_vrf(vrf_id: uuid.UUID, session: DbSession,
            principal: Principal = require(READ)) -> Vrf:
    return prefixes.get_vrf(session, principal.tenant_id, vrf_id)


@router.patch("/vrfs/{vrf_id}", response_model=schemas.VrfOut, tags=["ipam"],
              responses=_ERRORS)
def update_vrf(vrf_id: uuid.UUID, body: schemas.VrfUpdate, session: DbSession,
               principal: Principal = require(WRITE)) -> Vrf:
    return prefixes.update_vrf(session, principal.tenant_id, vrf_id, body)


@router.delete("/vrfs/{vrf_id}", status_code=204, tags=["ipam"], responses=_ERRORS)
def delete_vrf(vrf_id: uuid.UUID, session: DbSession,
               principal: Principal = require(WRITE)) -> Response:
    prefixes.delete_vrf(session, principal.tenant_id, vrf_id)
    return Response(status_code=204)


# Prefixes --------------------------------------------------------------------------------

@router.get("/prefixes", response_model=Page[schemas.PrefixOut], tags=["ipam"])
def list_prefixes(session: DbSession, paging: Paging, vrf_id: uuid.UUID | None = None,
                  family: Family | None = None, role: PrefixRole | None = None,
                  status: PStatus | None = None, parent_id: uuid.UUID | None = None,
                  principal: Principal = require(READ)) -> Page[Prefix]:
    """Prefixes depth first: every parent comes before the prefixes inside it."""
    return prefixes.list_prefixes(session, principal.tenant_id, paging, vrf_id=vrf_id,
                                  family=family, role=role, status=status, parent_id=parent_id)


@router.post("/prefixes", response_model=schemas.PrefixOut, status_code=201, tags=["ipam"],
             responses=_ERRORS)
def create_prefix(body: schemas.PrefixCreate, session: DbSession,
                  principal: Principal = require(WRITE)) -> Prefix:
    """Add a prefix. 409 for a duplicate in the VRF or a prefix inside a pool; 422 for a
    malformed prefix or one with host bits set."""
    return prefixes.create_prefix(session, principal.tenant_id, body)


@router.get("/tree", response_model=Page[schemas.TreeNodeOut], tags=["ipam"])
def prefix_tree(session: DbSession, paging: Paging, vrf_id: uuid.UUID | None = None,
                family: Family | None = None,
                principal: Principal = require(READ)) -> Page[schemas.TreeNodeOut]:
    """The prefix hierarchy depth first, each with its depth, pool and utilization."""
    page = prefixes.prefix_tree(session, principal.tenant_id, paging, vrf_id=vrf_id,
                                all_vrfs=vrf_id is None, family=family)
    return page.map(_tree_node)


def _tree_node(node: prefixes.TreeNode) -> schemas.TreeNodeOut:
    return schemas.TreeNodeOut.model_validate({
        **schemas.PrefixOut.model_validate(node.prefix).model_dump(),
        "pool_id": node.pool.id if node.pool else None,
        "pool_name": node.pool.name if node.pool else None,
        "utilization": node.utilization.as_dict()})


@router.get("/prefixes/{prefix_id}", response_model=schemas.PrefixOut, tags=["ipam"])
def get_prefix(prefix_id: uuid.UUID, session: DbSession,
               principal: Principal = require(READ)) -> Prefix:
    return prefixes.get_prefix(session, principal.tenant_id, prefix_id)


@router.patch("/prefixes/{prefix_id}", response_model=schemas.PrefixOut, tags=["ipam"],
              responses=_ERRORS)
def update_prefix(prefix_id: uuid.UUID, body: schemas.PrefixUpdate, session: DbSession,
                  principal: Principal = require(WRITE)) -> Prefix:
    return prefixes.update_prefix(session, principal.tenant_id, prefix_id, body)


@router.delete("/prefixes/{prefix_id}", status_code=204, tags=["ipam"], responses=_ERRORS)
def delete_prefix(prefix_id: uuid.UUID, session: DbSession,
                  principal: Principal = require(WRITE)) -> Response:
    """Delete a prefix; its children move up to its parent."""
    prefixes.delete_prefix(session, principal.tenant_id, prefix_id)
    return Response(status_code=204)


@router.get("/prefixes/{prefix_id}/children", response_model=Page[schemas.PrefixOut],
            tags=["ipam"])
def list_children(prefix_id: uuid.UUID, session: DbSession, paging: Paging,
                  principal: Principal = require(READ)) -> Page[Prefix]:
    return prefixes.list_children(session, principal.tenant_id, prefix_id, paging)


@router.get("/prefixes/{prefix_id}/utilization", response_model=schemas.UtilizationOut,
            tags=["ipam"])
def prefix_utilization(prefix_id: uuid.UUID, session: DbSession,
                       principal: Principal = require(READ)) -> dict[str, object]:
    """Addresses covered by child prefixes and handed out by the prefix's pool."""
    prefix = prefixes.get_prefix(session, principal.tenant_id, prefix_id)
    return utilization.prefix_utilization(session, principal.tenant_id, prefix).as_dict()


# Pools -----------------------------------------------------------------------------------

@router.get("/pools", response_model=Page[schemas.PoolOut], tags=["ipam"])
def list_pools(session: DbSession, paging: Paging, kind: PoolKind | None = None,
               family: Family | None = None,
               principal: Principal = require(READ)) -> Page[Pool]:
    return pools.list_pools(session, principal.tenant_id, paging, kind=kind, family=family)


@router.post("/pools", response_model=schemas.PoolOut, status_code=201, tags=["ipam"],
             responses=_ERRORS)
def create_pool(body: schemas.PoolCreate, session: DbSession,
                principal: Principal = require(WRITE)) -> Pool:
    """Make a leaf prefix an address pool or an IPv6 prefix-delegation pool."""
    return pools.create_pool(session, principal.tenant_id, body)


@router.get("/pools/{pool_id}", response_model=schemas.PoolOut, tags=["ipam"])
def get_pool(pool_id: uuid.UUID, session: DbSession,
             principal: Principal = require(READ)) -> Pool:
    return pools.get_pool(session, principal.tenant_id, pool_id)


@router.patch("/pools/{pool_id}", response_model=schemas.PoolOut, tags=["ipam"],
              responses=_ERRORS)
def update_pool(pool_id: uuid.UUID, body: schemas.PoolUpdate, session: DbSession,
                principal: Principal = require(WRITE)) -> Pool:
    return pools.update_pool(session, principal.tenant_id, pool_id, body)


@router.delete("/pools/{pool_id}", status_code=204, tags=["ipam"], responses=_ERRORS)
def delete_pool(pool_id: uuid.UUID, session: DbSession,
                principal: Principal = require(WRITE)) -> Response:
    """Delete a pool with nothing allocated (a reserved gateway goes with it)."""
    pools.delete_pool(session, principal.tenant_id, pool_id)
    return Response(status_code=204)


@router.get("/pools/{pool_id}/utilization", response_model=schemas.PoolUtilizationOut,
            tags=["ipam"])
def pool_utilization(pool_id: uuid.UUID, session: DbSession,
                     principal: Principal = require(READ)) -> dict[str, object]:
    pool = pools.get_pool(session, principal.tenant_id, pool_id)
    return utilization.pool_utilization(session, principal.tenant_id, pool).as_dict()


@router.get("/pools/{pool_id}/allocations", response_model=Page[schemas.AllocationOut],
            tags=["ipam"])
def list_pool_allocations(pool_id: uuid.UUID, session: DbSession, paging: Paging,
                          status: AllocationStatus | None = None,
                          principal: Principal = require(READ)) -> Page[Allocation]:
    pools.get_pool(session, principal.tenant_id, pool_id)
    return history.list_allocations(session, principal.tenant_id, paging, pool_id=pool_id,
                                    status=status)


@router.post("/pools/{pool_id}/allocations", response_model=schemas.AllocationOut,
             status_code=201, tags=["ipam"], responses=_ERRORS)
def allocate(pool_id: uuid.UUID, body: schemas.AllocationCreate, session: DbSession,
             principal: Principal = require(WRITE)) -> Allocation:
    """Allocate or reserve the next free address (or delegated prefix), or the one given.
    409 when the pool is exhausted or the address is taken; 422 when it lies outside the pool
    or is a network, broadcast or subnet-router anycast address."""
    return allocation.allocate_for(session, principal.tenant_id, pool_id, body)


router.include_router(allocations_router)
