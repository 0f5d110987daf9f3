"""Handing out and taking back addresses and delegated prefixes.

Concurrency: every change to a pool's allocations first locks the pool's row (SELECT ... FOR
UPDATE on PostgreSQL; SQLite writers already hold the database lock from BEGIN IMMEDIATE).
Allocations in one pool therefore queue behind each other and see each other's rows, while
other pools are untouched. The unique (pool_id, slot) constraint is the backstop.

Each pool keeps its free slots as ranges (free_space.py): next free is the start of the lowest
range, one primary-key probe however full the pool is and wherever its holes are.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.modules.network.devices import service as devices_service
from dotmac_isp.modules.network.ipam import free_space, schemas, utilization
from dotmac_isp.modules.network.ipam.addressing import (
    PoolLayout,
    decode_slot,
    encode_slot,
    network_keys,
    parse_address,
    parse_network,
)
from dotmac_isp.modules.network.ipam.enums import (
    AllocationStatus,
    HolderType,
    PoolKind,
    PrefixStatus,
)
from dotmac_isp.modules.network.ipam.errors import (
    AddressConflictError,
    AddressNotAssignableError,
    AddressOutsidePoolError,
    InvalidPrefixError,
    PoolExhaustedError,
    PoolNotActiveError,
)
from dotmac_isp.modules.network.ipam.events import AddressAssigned, AddressReleased
from dotmac_isp.modules.network.ipam.models import Allocation, AssignmentHistory, Pool, Prefix
from dotmac_isp.modules.network.ipam.repository import (
    AllocationRepository,
    HistoryRepository,
    PoolRepository,
)
from dotmac_isp.modules.services import service as services_service
from dotmac_isp.shared import references
from dotmac_isp.shared.errors import ValidationFailed
from dotmac_isp.shared.events import publish
from dotmac_isp.shared.types import utcnow

GATEWAY_DESCRIPTION = "gateway"


def check_holder(holder_type: HolderType, holder_id: uuid.UUID | None) -> None:
    if holder_type is not HolderType.OTHER and holder_id is None:
        raise ValidationFailed(f"holder_id is required when holder_type is {holder_type.value}")


def check_holder_exists(session: Session, tenant_id: uuid.UUID, holder_type: HolderType,
                        holder_id: uuid.UUID | None) -> None:
    """A holder a client names must be a subscription or interface of the caller's tenant;
    an "other" holder has no id to name."""
    check_holder(holder_type, holder_id)
    if holder_id is None:
        return
    if holder_type is HolderType.SUBSCRIPTION:
        references.referenced(session, partial(services_service.get_subscription, session,
                                               tenant_id), holder_id, "holder_id",
                              "subscription")
    elif holder_type is HolderType.DEVICE_INTERFACE:
        references.referenced(session, partial(devices_service.get_interface, session,
                                               tenant_id), holder_id, "holder_id",
                              "device interface")
    else:
        raise ValidationFailed("holder_id: an \"other\" holder has no id; use holder_type "
                               "subscription or device_interface")


def allocate_for(session: Session, tenant_id: uuid.UUID, pool_id: uuid.UUID,
                 data: schemas.AllocationCreate) -> Allocation:
    """allocate() for a request: the holder it names must exist in the tenant."""
    check_holder_exists(session, tenant_id, data.holder_type, data.holder_id)
    return allocate(session, tenant_id, pool_id, address=data.address, status=data.status,
                    holder_type=data.holder_type, holder_id=data.holder_id,
                    description=data.description)


def _describe(allocation: Allocation) -> str:
    if allocation.holder_id is not None:
        return f"{allocation.status} to {allocation.holder_type} {allocation.holder_id}"
    label = f" ({allocation.description})" if allocation.description else ""
    return f"{allocation.status}{label}"


def _unit(layout: PoolLayout) -> str:
    return "prefix" if layout.kind is PoolKind.DELEGATION else "address"


def _require_active(session: Session, pool: Pool, status: str | None) -> None:
    if status is None:
        status = session.scalar(select(Prefix.status).where(Prefix.id == pool.prefix_id,
                                                            Prefix.tenant_id == pool.tenant_id))
    if status != PrefixStatus.ACTIVE:
        raise PoolNotActiveError(
            f"pool {pool.name!r} ({pool.network}) is {status}; nothing new is handed out")


def next_free_slot(session: Session, pool: Pool, layout: PoolLayout, *,
                   claim: bool = False) -> int:
    """The lowest free slot of a locked pool (taken out of the free space when claim is
    set), or PoolExhaustedError."""
    slot = free_space.take_lowest(session, pool) if claim else \
        free_space.lowest_free(session, pool)
    if slot is None:
        raise PoolExhaustedError(
            f"pool {pool.name!r} ({pool.network}) has no free {_unit(layout)} left")
    return slot


def requested_slot(layout: PoolLayout, pool: Pool, text: str) -> int:
    """The slot of a requested address (or delegated prefix) after checking the rules."""
    if layout.kind is PoolKind.DELEGATION:
        network = parse_network(text)
        if network.version != 6 or network.prefixlen != layout.slot_length:
            raise InvalidPrefixError(
                f"pool {pool.name!r} delegates /{layout.slot_length} prefixes; {network} is not "
                "one")
        if not network.subnet_of(layout.network):  # type: ignore[arg-type]
            raise AddressOutsidePoolError(f"{network} is outside pool {pool.name!r} "
                                          f"({pool.network})")
        return encode_slot(layout.index_of_network(network))
    address = parse_address(text)
    if address.version != layout.family or address not in layout.network:
        raise AddressOutsidePoolError(f"{address} is outside pool {pool.name!r} ({pool.network})")
    index = layout.index_of_address(address)
    excluded = layout.describe_excluded(index)
    if excluded:
        raise AddressNotAssignableError(
            f"{address} is {excluded} and is not handed out (mark the pool fully usable to "
            "allow it)")
    return encode_slot(index)


def _open_history(session: Session, pool: Pool, allocation: Allocation) -> None:
    session.add(AssignmentHistory(
        tenant_id=pool.tenant_id, allocation_id=allocation.id, pool_id=pool.id,
        vrf_id=pool.vrf_id, family=allocation.family, address=allocation.address,
        prefix_length=allocation.prefix_length, start_key=allocation.start_key,
        end_key=allocation.end_key, status=allocation.status,
        holder_type=allocation.holder_type, holder_id=allocation.holder_id,
        description=allocation.description, assigned_at=allocation.assigned_at))


def _close_history(session: Session, allocation: Allocation, now: datetime) -> None:
    entry = HistoryRepository(session, allocation.tenant_id).open_for(allocation.id)
    if entry is not None:
        entry.released_at = now


def take_slot(session: Session, pool: Pool, layout: PoolLayout, slot: int, *,
              status: AllocationStatus, holder_type: HolderType, holder_id: uuid.UUID | None,
              description: str, now: datetime, claimed: bool = False) -> Allocation:
    """Record the allocation of a free slot of a locked pool, with its history row."""
    if not claimed and not free_space.claim(session, pool, slot):
        taken = AllocationRepository(session, pool.tenant_id).at_slot(pool.id, slot)
        what = layout.slot_network(decode_slot(slot))
        raise AddressConflictError(f"{taken.cidr} is already {_describe(taken)}" if taken
                                   else f"{what} is not free")
    network = layout.slot_network(decode_slot(slot))
    start, end = network_keys(network)
    allocation = Allocation(
        id=uuid.uuid4(), pool_id=pool.id, family=layout.family,
        address=str(network.network_address), prefix_length=network.prefixlen,
        start_key=start, end_key=end, slot=slot, status=status.value,
        holder_type=holder_type.value, holder_id=holder_id, description=description,
        assigned_at=now)
    allocation.tenant_id = pool.tenant_id
    session.add(allocation)
    _open_history(session, pool, allocation)
    before = pool.allocated_count
    pool.allocated_count = before + 1
    session.flush()
    publish(session, AddressAssigned(
        tenant_id=pool.tenant_id, occurred_at=now, allocation_id=allocation.id,
        pool_id=pool.id, cidr=allocation.cidr, holder_type=allocation.holder_type,
        holder_id=holder_id))
    utilization.pool_count_changed(session, pool, layout, before, now)
    return allocation


def allocate_in_locked_pool(session: Session, pool: Pool, *, address: str | None = None,
                            status: AllocationStatus = AllocationStatus.ALLOCATED,
                            holder_type: HolderType = HolderType.OTHER,
                            holder_id: uuid.UUID | None = None, description: str = "",
                            now: datetime | None = None,
                            prefix_status: str | None = None) -> Allocation:
    holder_type, status = HolderType(holder_type), AllocationStatus(status)
    check_holder(holder_type, holder_id)
    if status is AllocationStatus.ALLOCATED:
        _require_active(session, pool, prefix_status)
    layout = utilization.layout_of(pool)
    if address is None:
        slot = next_free_slot(session, pool, layout, claim=True)
    else:
        slot = requested_slot(layout, pool, address)
    return take_slot(session, pool, layout, slot, status=status, holder_type=holder_type,
                     holder_id=holder_id, description=description, now=now or utcnow(),
                     claimed=address is None)


def allocate(session: Session, tenant_id: uuid.UUID, pool_id: uuid.UUID, *,
             address: str | None = None, status: AllocationStatus = AllocationStatus.ALLOCATED,
             holder_type: HolderType = HolderType.OTHER, holder_id: uuid.UUID | None = None,
             description: str = "", now: datetime | None = None) -> Allocation:
    """Allocate (or reserve) the next free address or prefix of a pool, or a requested one."""
    pool, prefix_status = PoolRepository(session, tenant_id).lock_with_status(pool_id)
    return allocate_in_locked_pool(session, pool, address=address, status=status,
                                   holder_type=holder_type, holder_id=holder_id,
                                   description=description, now=now,
                                   prefix_status=prefix_status)


def release_in_locked_pool(session: Session, pool: Pool, allocation: Allocation,
                           now: datetime | None = None) -> None:
    """Free the slot: delete the allocation, close its history, give the slot back."""
    now = now or utcnow()
    _close_history(session, allocation, now)
    if pool.gateway == allocation.address and allocation.status == AllocationStatus.RESERVED:
        pool.gateway = None
    AllocationRepository(session, pool.tenant_id).delete(allocation)
    before = pool.allocated_count
    pool.allocated_count = max(before - 1, 0)
    free_space.release(session, pool, allocation.slot)
    session.flush()
    publish(session, AddressReleased(
        tenant_id=pool.tenant_id, occurred_at=now, allocation_id=allocation.id,
        pool_id=pool.id, cidr=allocation.cidr, holder_type=allocation.holder_type,
        holder_id=allocation.holder_id))
    utilization.pool_count_changed(session, pool, utilization.layout_of(pool), before, now)


def release(session: Session, tenant_id: uuid.UUID, allocation_id: uuid.UUID,
            now: datetime | None = None) -> None:
    """Give an address or delegated prefix back to its pool now."""
    allocation = AllocationRepository(session, tenant_id).get(allocation_id)
    pool = PoolRepository(session, tenant_id).lock(allocation.pool_id)
    release_in_locked_pool(session, pool, allocation, now)


def hold(allocation: Allocation, now: datetime) -> None:
    """Keep the slot out of use after its holder has gone, until the hold expires."""
    if allocation.status != AllocationStatus.HELD:
        allocation.status = AllocationStatus.HELD.value
        allocation.held_since = now


def reinstate(session: Session, allocation: Allocation) -> None:
    """An allocation (held or reserved) is in use by its holder again."""
    allocation.status = AllocationStatus.ALLOCATED.value
    allocation.held_since = None
    entry = HistoryRepository(session, allocation.tenant_id).open_for(allocation.id)
    if entry is not None:
        entry.status = AllocationStatus.ALLOCATED.value


def reassign(session: Session, allocation: Allocation, *, status: AllocationStatus,
             holder_type: HolderType, holder_id: uuid.UUID | None, description: str,
             now: datetime | None = None) -> Allocation:
    """Change status, holder or description; a new holder starts a new history period."""
    now = now or utcnow()
    check_holder(holder_type, holder_id)
    new_holder = (holder_type.value, holder_id) != (allocation.holder_type,
                                                    allocation.holder_id)
    allocation.status = status.value
    allocation.held_since = None
    allocation.description = description
    if new_holder:
        _close_history(session, allocation, now)
        allocation.holder_type, allocation.holder_id = holder_type.value, holder_id
        allocation.assigned_at = now
        pool = PoolRepository(session, allocation.tenant_id).get(allocation.pool_id)
        _open_history(session, pool, allocation)
    else:
        entry = HistoryRepository(session, allocation.tenant_id).open_for(allocation.id)
        if entry is not None:
            entry.status, entry.description = status.value, description
    session.flush()
    return allocation


def get_allocation(session: Session, tenant_id: uuid.UUID,
                   allocation_id: uuid.UUID) -> Allocation:
    return AllocationRepository(session, tenant_id).get(allocation_id)


def update_allocation(session: Session, tenant_id: uuid.UUID, allocation_id: uuid.UUID,
                      data: schemas.AllocationUpdate) -> Allocation:
    """Apply the fields given; a held allocation given no status becomes allocated again."""
    current = AllocationRepository(session, tenant_id).get(allocation_id)
    if data.status is not None:
        status = AllocationStatus(data.status)
    elif current.status == AllocationStatus.HELD:
        status = AllocationStatus.ALLOCATED
    else:
        status = AllocationStatus(current.status)
    holder_type = data.holder_type or HolderType(current.holder_type)
    holder_id = data.holder_id if "holder_id" in data.model_fields_set else current.holder_id
    if (holder_type.value, holder_id) != (current.holder_type, current.holder_id):
        check_holder_exists(session, tenant_id, holder_type, holder_id)
    return reassign(
        session, current, status=status, holder_type=holder_type, holder_id=holder_id,
        description=data.description if data.description is not None else current.description)
