"""Queries of the IPAM tables, every one through the tenant-scoping chokepoint."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Uuid, column, func, select, table
from sqlalchemy.orm import Session

from dotmac_isp.modules.network.ipam.addressing import (
    IPNetwork,
    network_keys,
    supernet_start_keys,
)
from dotmac_isp.modules.network.ipam.enums import AllocationStatus, HolderType
from dotmac_isp.modules.network.ipam.models import (
    Allocation,
    AssignmentHistory,
    Pool,
    Prefix,
    UtilizationAlert,
    Vrf,
)
from dotmac_isp.shared.errors import NotFound
from dotmac_isp.shared.tenancy import TenantRepository

_tenants = table("tenants", column("id", Uuid))
_CHUNK = 500


def lock_address_space(session: Session, tenant_id: uuid.UUID) -> None:
    """Serialize changes to one tenant's prefix layout (overlap checks read, then write).

    The tenant row is locked FOR NO KEY UPDATE, which does not block the inserts elsewhere
    that reference it. SQLite needs nothing here: writers hold the database lock already.
    """
    session.execute(select(_tenants.c.id).where(_tenants.c.id == tenant_id)
                    .with_for_update(key_share=True))


def pools_with_expired_holds(session: Session,
                             cutoff: datetime) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(tenant_id, pool_id) of every pool with an allocation held since before the cutoff.

    The one query that spans tenants: the release job serves them all, then works on each
    pool through its tenant's repository.
    """
    stmt = (select(Allocation.tenant_id, Allocation.pool_id)
            .where(Allocation.status == AllocationStatus.HELD, Allocation.held_since <= cutoff)
            .distinct().order_by(Allocation.tenant_id, Allocation.pool_id))
    return [(t, p) for t, p in session.execute(stmt)]


def subscription_allocations_in_use(
        session: Session, holder_ids: Collection[uuid.UUID] | None = None,
) -> list[tuple[uuid.UUID, uuid.UUID, int, str, int]]:
    """(tenant_id, holder_id, family, address, prefix_length) of every allocated address or
    prefix held by a subscription (or by the given ones), oldest assignment first.

    Spans tenants: the RADIUS servers load every tenant's subscribers at once; rows are keyed
    by (tenant_id, holder_id), so a holder id never crosses a tenant.
    """
    base = (select(Allocation.tenant_id, Allocation.holder_id, Allocation.family,
                   Allocation.address, Allocation.prefix_length)
            .where(Allocation.holder_type == HolderType.SUBSCRIPTION,
                   Allocation.status == AllocationStatus.ALLOCATED)
            .order_by(Allocation.assigned_at, Allocation.start_key))
    # plain rows through the connection: the ORM adds nothing to a column read of 10^5 rows
    conn = session.connection()
    if holder_ids is None:
        # fetched at once: iterating the cursor fetches a row per call
        return [tuple(row) for row in conn.execute(base).all()]  # type: ignore[misc]
    ids = list(holder_ids)
    rows: list[tuple[uuid.UUID, uuid.UUID, int, str, int]] = []
    for start in range(0, len(ids), _CHUNK):
        rows += [tuple(row) for row in conn.execute(  # type: ignore[misc]
            base.where(Allocation.holder_id.in_(ids[start:start + _CHUNK]))).all()]
    return rows


class VrfRepository(TenantRepository[Vrf]):
    model = Vrf
    not_found_message = "VRF not found"

    def by_name(self, name: str) -> Vrf | None:
        return self.session.scalars(self.select().where(Vrf.name == name)).one_or_none()


class PrefixRepository(TenantRepository[Prefix]):
    model = Prefix
    not_found_message = "prefix not found"

    def in_space(self, vrf_id: uuid.UUID | None) -> Select[Any]:
        vrf_match = Prefix.vrf_id.is_(None) if vrf_id is None else Prefix.vrf_id == vrf_id
        return self.select().where(vrf_match)

    def overlapping(self, vrf_id: uuid.UUID | None, start_key: str,
                    end_key: str) -> Sequence[Prefix]:
        """Prefixes of the VRF that contain, equal or lie inside [start_key, end_key]."""
        stmt = self.in_space(vrf_id).where(Prefix.start_key <= end_key,
                                           Prefix.end_key >= start_key)
        return self.session.scalars(stmt.order_by(Prefix.start_key, Prefix.prefix_length)).all()

    def children(self, parent_id: uuid.UUID) -> Select[Any]:
        return self.select().where(Prefix.parent_id == parent_id).order_by(Prefix.start_key)

    def tree(self, vrf_id: uuid.UUID | None = None, *, all_vrfs: bool = False,
             family: int | None = None) -> Select[Any]:
        """Prefixes in depth-first order: a parent sorts before everything inside it."""
        stmt = self.select() if all_vrfs else self.in_space(vrf_id)
        if family is not None:
            stmt = stmt.where(Prefix.family == family)
        return stmt.order_by(Prefix.vrf_id.is_not(None), Prefix.vrf_id, Prefix.start_key,
                             Prefix.prefix_length)

    def count_in_vrf(self, vrf_id: uuid.UUID) -> int:
        stmt = self.select(func.count()).where(Prefix.vrf_id == vrf_id)
        return int(self.session.scalar(stmt) or 0)

    def child_lengths(self, parent_ids: Sequence[uuid.UUID]) -> list[tuple[uuid.UUID, int, int]]:
        """(parent_id, prefix_length, how many) of the direct children of each parent."""
        if not parent_ids:
            return []
        stmt = (self.select(Prefix.parent_id, Prefix.prefix_length, func.count())
                .where(Prefix.parent_id.in_(parent_ids))
                .group_by(Prefix.parent_id, Prefix.prefix_length))
        return [(p, length, n) for p, length, n in self.session.execute(stmt)]

    def has_children(self, prefix_id: uuid.UUID) -> bool:
        stmt = self.select(Prefix.id).where(Prefix.parent_id == prefix_id).limit(1)
        return self.session.scalar(stmt) is not None


class PoolRepository(TenantRepository[Pool]):
    model = Pool
    not_found_message = "pool not found"

    def lock(self, pool_id: uuid.UUID) -> Pool:
        """Load the pool with its row locked for the rest of the transaction (PostgreSQL).

        populate_existing: a pool read earlier in this session must not keep stale counters.
        """
        stmt = (self.select().where(Pool.id == pool_id).with_for_update()
                .execution_options(populate_existing=True))
        pool = self.session.scalars(stmt).one_or_none()
        if pool is None:
            raise NotFound(self.not_found_message)
        return pool

    def lock_with_status(self, pool_id: uuid.UUID) -> tuple[Pool, str]:
        """lock(), also reading the status of the pool's prefix in the same round trip."""
        stmt = (self.select(Pool, Prefix.status).join(Prefix, Prefix.id == Pool.prefix_id)
                .where(Pool.id == pool_id).with_for_update(of=Pool)
                .execution_options(populate_existing=True))
        row = self.session.execute(stmt).one_or_none()
        if row is None:
            raise NotFound(self.not_found_message)
        return row[0], row[1]

    def for_prefixes(self, prefix_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Pool]:
        if not prefix_ids:
            return {}
        stmt = self.select().where(Pool.prefix_id.in_(prefix_ids))
        return {p.prefix_id: p for p in self.session.scalars(stmt)}

    def by_name(self, name: str) -> Pool | None:
        return self.session.scalars(self.select().where(Pool.name == name)).one_or_none()


class AllocationRepository(TenantRepository[Allocation]):
    model = Allocation
    not_found_message = "allocation not found"

    def at_slot(self, pool_id: uuid.UUID, slot: int) -> Allocation | None:
        stmt = self.select().where(Allocation.pool_id == pool_id, Allocation.slot == slot)
        return self.session.scalars(stmt).one_or_none()

    def in_pool(self, pool_id: uuid.UUID, status: str | None = None) -> Select[Any]:
        stmt = self.select().where(Allocation.pool_id == pool_id)
        if status is not None:
            stmt = stmt.where(Allocation.status == status)
        return stmt.order_by(Allocation.slot)

    def held_before(self, pool_id: uuid.UUID, cutoff: datetime) -> list[Allocation]:
        stmt = self.in_pool(pool_id, AllocationStatus.HELD).where(
            Allocation.held_since <= cutoff)
        return list(self.session.scalars(stmt))

    def of_holder(self, holder_type: str, holder_id: uuid.UUID, *,
                  lock: bool = False) -> list[Allocation]:
        """The holder's allocations; lock=True row-locks them, so a concurrent release either
        finishes first (the row is gone) or waits."""
        stmt = (self.select()
                .where(Allocation.holder_type == holder_type, Allocation.holder_id == holder_id)
                .order_by(Allocation.assigned_at, Allocation.start_key))
        if lock:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return list(self.session.scalars(stmt))

    def counts_by_status(self, pool_id: uuid.UUID) -> dict[str, int]:
        stmt = (self.select(Allocation.status, func.count())
                .where(Allocation.pool_id == pool_id).group_by(Allocation.status))
        return {status: int(n) for status, n in self.session.execute(stmt)}

    def used_by_pool(self, pool_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        if not pool_ids:
            return {}
        stmt = (self.select(Allocation.pool_id, func.count())
                .where(Allocation.pool_id.in_(pool_ids)).group_by(Allocation.pool_id))
        return {pid: int(n) for pid, n in self.session.execute(stmt)}

    def containing(self, network: IPNetwork) -> Select[Any]:
        """Allocations whose address or delegated prefix contains the network."""
        _start, end = network_keys(network)
        return (self.select().where(Allocation.start_key.in_(supernet_start_keys(network)),
                                    Allocation.end_key >= end)
                .order_by(Allocation.start_key))

    def inside(self, network: IPNetwork) -> Select[Any]:
        start, end = network_keys(network)
        return (self.select().where(Allocation.start_key >= start, Allocation.start_key <= end,
                                    Allocation.end_key <= end)
                .order_by(Allocation.start_key))


class HistoryRepository(TenantRepository[AssignmentHistory]):
    model = AssignmentHistory
    not_found_message = "history entry not found"

    def open_for(self, allocation_id: uuid.UUID) -> AssignmentHistory | None:
        stmt = (self.select().where(AssignmentHistory.allocation_id == allocation_id,
                                    AssignmentHistory.released_at.is_(None))
                .order_by(AssignmentHistory.assigned_at.desc()).limit(1))
        return self.session.scalars(stmt).first()


    def containing(self, network: IPNetwork) -> Select[Any]:
        _start, end = network_keys(network)
        return self.select().where(
            AssignmentHistory.start_key.in_(supernet_start_keys(network)),
            AssignmentHistory.end_key >= end)


class AlertRepository(TenantRepository[UtilizationAlert]):
    model = UtilizationAlert
    not_found_message = "alert not found"

    def open_for(self, *, pool_id: uuid.UUID | None = None,
                 prefix_id: uuid.UUID | None = None) -> UtilizationAlert | None:
        stmt = self.select().where(UtilizationAlert.cleared_at.is_(None))
        if pool_id is not None:
            stmt = stmt.where(UtilizationAlert.pool_id == pool_id)
        else:
            stmt = stmt.where(UtilizationAlert.prefix_id == prefix_id)
        return self.session.scalars(stmt.limit(1)).first()
