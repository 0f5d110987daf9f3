"""IPAM JSON API: allocations by id, who held an address when, alerts, and the addresses of
a subscription."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from dotmac_isp.modules.identity.deps import DbSession, require
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.identity.principal import Principal
from dotmac_isp.modules.network.ipam import allocation, history, schemas, service, utilization
from dotmac_isp.modules.network.ipam.enums import AllocationStatus, HolderType
from dotmac_isp.modules.network.ipam.models import Allocation, AssignmentHistory, UtilizationAlert
from dotmac_isp.shared.pagination import Page, PageParams, page_params
from dotmac_isp.shared.timestamps import UTCDateTimeIn

router = APIRouter()
Paging = Annotated[PageParams, Depends(page_params)]
READ, WRITE = Permission.NETWORK_READ, Permission.NETWORK_WRITE
AddressQuery = Query(None, min_length=1, max_length=64,
                     description="An IPv4 or IPv6 address, e.g. 100.64.0.7")
_ERRORS: dict[int | str, dict[str, Any]] = {404: {}, 409: {}, 422: {}}


@router.get("/allocations", response_model=Page[schemas.AllocationOut], tags=["ipam"])
def list_allocations(session: DbSession, paging: Paging, address: str | None = AddressQuery,
                     pool_id: uuid.UUID | None = None, status: AllocationStatus | None = None,
                     holder_type: HolderType | None = None, holder_id: uuid.UUID | None = None,
                     principal: Principal = require(READ)) -> Page[Allocation]:
    """Current allocations; with address, the ones containing it (an address or the
    delegated prefix it lies in)."""
    return history.list_allocations(session, principal.tenant_id, paging, address=address,
                                    pool_id=pool_id, status=status, holder_type=holder_type,
                                    holder_id=holder_id)


@router.get("/allocations/{allocation_id}", response_model=schemas.AllocationOut,
            tags=["ipam"])
def get_allocation(allocation_id: uuid.UUID, session: DbSession,
                   principal: Principal = require(READ)) -> Allocation:
    return allocation.get_allocation(session, principal.tenant_id, allocation_id)


@router.patch("/allocations/{allocation_id}", response_model=schemas.AllocationOut,
              tags=["ipam"], responses=_ERRORS)
def update_allocation(allocation_id: uuid.UUID, body: schemas.AllocationUpdate,
                      session: DbSession, principal: Principal = require(WRITE)) -> Allocation:
    """Change status (allocated/reserved), holder or description. A new holder closes the
    old holder's history period and opens one for the new holder."""
    return allocation.update_allocation(session, principal.tenant_id, allocation_id, body)


@router.delete("/allocations/{allocation_id}", status_code=204, tags=["ipam"],
               responses=_ERRORS)
def release_allocation(allocation_id: uuid.UUID, session: DbSession,
                       principal: Principal = require(WRITE)) -> Response:
    """Release now: the address or prefix goes back to its pool; history keeps the record."""
    allocation.release(session, principal.tenant_id, allocation_id)
    return Response(status_code=204)


@router.get("/history", response_model=Page[schemas.HistoryOut], tags=["ipam"],
            responses={422: {}})
def assignment_history(session: DbSession, paging: Paging, address: str | None = AddressQuery,
                       at: UTCDateTimeIn | None = Query(
                           None, description="Only the holder at this moment (ISO 8601)"),
                       vrf_id: uuid.UUID | None = None, holder_type: HolderType | None = None,
                       holder_id: uuid.UUID | None = None,
                       principal: Principal = require(READ)) -> Page[AssignmentHistory]:
    """Who held an address (or the delegated prefix containing it), newest first; with at,
    who held it at that moment. Or every period of one holder."""
    return history.list_history(session, principal.tenant_id, paging, address=address,
                                at=at, vrf_id=vrf_id, holder_type=holder_type,
                                holder_id=holder_id)


@router.get("/alerts", response_model=Page[schemas.AlertOut], tags=["ipam"])
def list_alerts(session: DbSession, paging: Paging,
                open: bool | None = Query(None, description="Only open (true) or cleared"),
                pool_id: uuid.UUID | None = None,
                principal: Principal = require(READ)) -> Page[UtilizationAlert]:
    """Utilization threshold crossings, newest first."""
    return utilization.list_alerts(session, principal.tenant_id, paging, open_only=open,
                                   pool_id=pool_id)


@router.get("/subscription-addresses", response_model=schemas.SubscriptionAddressesOut,
            tags=["ipam"])
def subscription_addresses(session: DbSession, subscription_id: uuid.UUID,
                           principal: Principal = require(READ),
                           ) -> schemas.SubscriptionAddressesOut:
    """The subscription's current IPv4 address and delegated IPv6 prefix (what RADIUS hands
    out), with every allocation it holds; nulls when it holds none."""
    found = service.subscription_addresses(session, principal.tenant_id, subscription_id)
    return schemas.SubscriptionAddressesOut(
        subscription_id=subscription_id, ipv4_address=found.ipv4_address,
        ipv6_address=found.ipv6_address, ipv6_delegated_prefix=found.ipv6_delegated_prefix,
        allocations=[schemas.AllocationOut.model_validate(a) for a in found.allocations])
