"""What other domains call: the RADIUS lookup and the subscription lifecycle.

Services flush; the caller's unit of work commits. Lifecycle functions run inside the
transaction that changes the subscription, so an address is allocated (or the change fails
with a clear IPAM error, e.g. an exhausted pool) together with the activation.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from dotmac_isp.modules.network.ipam import allocation as alloc
from dotmac_isp.modules.network.ipam.addressing import address_key
from dotmac_isp.modules.network.ipam.enums import AllocationStatus, HolderType, PoolKind
from dotmac_isp.modules.network.ipam.errors import IPAMError
from dotmac_isp.modules.network.ipam.models import Allocation, Pool
from dotmac_isp.modules.network.ipam.repository import (
    AllocationRepository,
    PoolRepository,
    pools_with_expired_holds,
    subscription_allocations_in_use,
)
from dotmac_isp.shared.errors import NotFound, ValidationFailed
from dotmac_isp.shared.types import utcnow

__all__ = [
    "AddressFamily",
    "SubscriptionAddresses",
    "assign_subscription_address",
    "current_addresses_of_subscriptions",
    "ensure_subscription_allocation",
    "hold_subscription_allocations",
    "move_subscription",
    "pools_with_expired_holds",
    "release_expired_holds",
    "subscription_addresses",
]

_STATUS_PREFERENCE = {AllocationStatus.ALLOCATED: 0, AllocationStatus.RESERVED: 1,
                      AllocationStatus.HELD: 2}


class AddressFamily(StrEnum):
    """Which of a plan's pools a lifecycle call is about."""

    IPV4 = "ipv4"  # an IPv4 address pool
    IPV6_PD = "ipv6_pd"  # an IPv6 prefix-delegation pool


@dataclass(frozen=True)
class SubscriptionAddresses:
    subscription_id: uuid.UUID
    ipv4_address: str | None
    ipv6_address: str | None
    ipv6_delegated_prefix: str | None
    allocations: Sequence[Allocation] = field(default_factory=list)


def subscription_addresses(session: Session, tenant_id: uuid.UUID,
                           subscription_id: uuid.UUID) -> SubscriptionAddresses:
    """The subscription's current IPv4 address and delegated IPv6 prefix (for RADIUS
    Framed-IP-Address and Delegated-IPv6-Prefix). Held or reserved ones are not current."""
    held = AllocationRepository(session, tenant_id).of_holder(HolderType.SUBSCRIPTION,
                                                              subscription_id)
    in_use = [a for a in held if a.status == AllocationStatus.ALLOCATED]
    ipv4 = next((a.address for a in in_use if a.family == 4), None)
    ipv6 = next((a.address for a in in_use if a.family == 6 and a.prefix_length == 128), None)
    pd = next((a.cidr for a in in_use if a.family == 6 and a.prefix_length < 128), None)
    return SubscriptionAddresses(subscription_id, ipv4, ipv6, pd, held)


def current_addresses_of_subscriptions(
        session: Session, subscription_ids: Collection[uuid.UUID] | None = None,
) -> dict[tuple[uuid.UUID, uuid.UUID], tuple[str | None, str | None]]:
    """(tenant_id, subscription_id) -> (IPv4 address, delegated IPv6 prefix) for every
    subscription (or the given ones) holding an allocated address: the bulk form of
    subscription_addresses, in one query (or one per 500 ids), for the RADIUS policy load."""
    # the first of each kind wins (rows come oldest assignment first); keyed by holder, as a
    # holder id is one subscription of one tenant
    tenants: dict[uuid.UUID, uuid.UUID] = {}
    ipv4: dict[uuid.UUID, str] = {}
    pd: dict[uuid.UUID, str] = {}
    for tenant_id, holder_id, family, address, length in subscription_allocations_in_use(
            session, subscription_ids):
        tenants[holder_id] = tenant_id
        if family == 4:
            ipv4.setdefault(holder_id, address)
        elif length < 128 and holder_id not in pd:
            pd[holder_id] = f"{address}/{length}"
    return {(tenant_id, holder_id): (ipv4.get(holder_id), pd.get(holder_id))
            for holder_id, tenant_id in tenants.items()}


def _plan_pool(session: Session, tenant_id: uuid.UUID, pool_id: uuid.UUID,
               family: AddressFamily) -> tuple[Pool, str]:
    try:
        pool, status = PoolRepository(session, tenant_id).lock_with_status(pool_id)
    except NotFound:
        raise IPAMError(f"the plan's {family.value} pool {pool_id} does not exist") from None
    if family is AddressFamily.IPV4 and (pool.kind != PoolKind.ADDRESS or pool.family != 4):
        raise IPAMError(f"pool {pool.name!r} is not an IPv4 address pool")
    if family is AddressFamily.IPV6_PD and pool.kind != PoolKind.DELEGATION:
        raise IPAMError(f"pool {pool.name!r} is not an IPv6 prefix-delegation pool")
    return pool, status


def check_plan_pool(session: Session, tenant_id: uuid.UUID, pool_id: uuid.UUID,
                    family: AddressFamily, field: str) -> None:
    """A plan may name only a pool of its own tenant, of the kind the family needs. Another
    tenant's pool and an unknown id get the same answer."""
    pool = PoolRepository(session, tenant_id).find(pool_id)
    if pool is None:
        raise ValidationFailed(f"{field}: no such pool")
    if family is AddressFamily.IPV4 and (pool.kind != PoolKind.ADDRESS or pool.family != 4):
        raise ValidationFailed(f"{field}: pool {pool.name!r} is not an IPv4 address pool")
    if family is AddressFamily.IPV6_PD and pool.kind != PoolKind.DELEGATION:
        raise ValidationFailed(f"{field}: pool {pool.name!r} is not an IPv6 "
                               "prefix-delegation pool")


def ensure_subscription_allocation(session: Session, tenant_id: uuid.UUID,
                                   subscription_id: uuid.UUID, pool_id: uuid.UUID,
                                   family: AddressFamily,
                                   now: datetime | None = None) -> Allocation:
    """Give the subscription an address (or delegated prefix) from the pool, idempotently:
    one it already holds there (allocated, reserved for it, or held) is kept."""
    now = now or utcnow()
    pool, prefix_status = _plan_pool(session, tenant_id, pool_id, family)
    mine = [a for a in AllocationRepository(session, tenant_id)
            .of_holder(HolderType.SUBSCRIPTION, subscription_id) if a.pool_id == pool.id]
    if mine:
        kept = min(mine, key=lambda a: _STATUS_PREFERENCE[AllocationStatus(a.status)])
        if kept.status != AllocationStatus.ALLOCATED:
            alloc.reinstate(session, kept)
            session.flush()
        return kept
    return alloc.allocate_in_locked_pool(
        session, pool, holder_type=HolderType.SUBSCRIPTION, holder_id=subscription_id,
        now=now, prefix_status=prefix_status)


def hold_subscription_allocations(session: Session, tenant_id: uuid.UUID,
                                  subscription_id: uuid.UUID, *,
                                  pool_id: uuid.UUID | None = None,
                                  now: datetime | None = None) -> int:
    """Put the subscription's allocations (in one pool, or all) on hold; the job
    network.release_held_addresses frees them when the hold has expired."""
    now = now or utcnow()
    held = 0
    for allocation in AllocationRepository(session, tenant_id).of_holder(
            HolderType.SUBSCRIPTION, subscription_id, lock=True):
        if pool_id is not None and allocation.pool_id != pool_id:
            continue
        if allocation.status != AllocationStatus.HELD:
            alloc.hold(allocation, now)
            held += 1
    session.flush()
    return held


def move_subscription(session: Session, tenant_id: uuid.UUID, subscription_id: uuid.UUID,
                      old_pool_id: uuid.UUID | None, new_pool_id: uuid.UUID | None,
                      family: AddressFamily, now: datetime | None = None) -> None:
    """After a plan change: stay put when the pool is the same, otherwise take an address
    from the new pool and hold the old one (a live session may still be using it)."""
    now = now or utcnow()
    if new_pool_id is not None:
        ensure_subscription_allocation(session, tenant_id, subscription_id, new_pool_id,
                                       family, now)
    if old_pool_id is not None and old_pool_id != new_pool_id:
        hold_subscription_allocations(session, tenant_id, subscription_id, pool_id=old_pool_id,
                                      now=now)


def release_expired_holds(session: Session, tenant_id: uuid.UUID, pool_id: uuid.UUID,
                          held_before: datetime, now: datetime | None = None) -> int:
    """Release the pool's allocations held since before the cutoff; returns how many."""
    try:
        pool = PoolRepository(session, tenant_id).lock(pool_id)
    except NotFound:
        return 0
    expired = AllocationRepository(session, tenant_id).held_before(pool.id, held_before)
    for allocation in expired:
        alloc.release_in_locked_pool(session, pool, allocation, now)
    return len(expired)


def assign_subscription_address(session: Session, tenant_id: uuid.UUID,
                                subscription_id: uuid.UUID, pool_id: uuid.UUID, address: str,
                                now: datetime | None = None) -> Allocation:
    """Give the subscription a chosen address of its plan's IPv4 pool (a static address
    it already had elsewhere), or fail with the reason it cannot have it."""
    pool, prefix_status = _plan_pool(session, tenant_id, pool_id, AddressFamily.IPV4)
    return alloc.allocate_in_locked_pool(
        session, pool, address=address, holder_type=HolderType.SUBSCRIPTION,
        holder_id=subscription_id, now=now or utcnow(), prefix_status=prefix_status)


def subscriptions_at_address(session: Session, tenant_id: uuid.UUID,
                             text: str) -> list[uuid.UUID]:
    """Subscriptions holding this exact address now; none when the text is not an address."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return []
    repo = AllocationRepository(session, tenant_id)
    return list(session.scalars(repo.select(Allocation.holder_id).where(
        Allocation.start_key == address_key(address),
        Allocation.holder_type == HolderType.SUBSCRIPTION).limit(50)))
