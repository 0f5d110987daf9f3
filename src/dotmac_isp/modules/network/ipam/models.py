"""IPAM tables: VRFs, prefixes, pools, allocations, assignment history, utilization alerts.

Addresses are stored as sortable keys and pool slots (see addressing.py), so containment and
"next free" are index range queries on both databases.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from dotmac_isp.shared.db import Audited, Base, TenantOwned, Timestamps, UUIDPrimaryKey
from dotmac_isp.shared.types import UTCDateTime, utcnow

KEY_LENGTH = 33  # family digit + 32 hex digits


class Vrf(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """A routing table of its own: prefixes in different VRFs may repeat each other."""

    __tablename__ = "ipam_vrfs"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    rd: Mapped[str | None] = mapped_column(String(32), nullable=True)
    description: Mapped[str] = mapped_column(String(255), default="")


class Prefix(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """An IPv4 or IPv6 prefix. parent_id is the smallest prefix of the same VRF containing it."""

    __tablename__ = "ipam_prefixes"
    __table_args__ = (
        Index("ix_ipam_prefixes_space", "tenant_id", "vrf_id", "start_key"),
    )
    # Derived from the network whenever the tree changes; not a user's edit.
    __audit_exclude__ = frozenset({"depth", "parent_id"})

    # NO ACTION rather than RESTRICT: checked at the end of the statement, so deleting a
    # tenant cascades through VRFs, prefixes and pools in one go. Services refuse the rest.
    vrf_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("ipam_vrfs.id"), nullable=True, index=True)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("ipam_prefixes.id", ondelete="SET NULL"), nullable=True, index=True)
    family: Mapped[int] = mapped_column(SmallInteger)
    network: Mapped[str] = mapped_column(String(43))
    prefix_length: Mapped[int] = mapped_column(SmallInteger)
    start_key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    end_key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    depth: Mapped[int] = mapped_column(SmallInteger, default=0)
    role: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(255), default="")
    alert_threshold_percent: Mapped[int] = mapped_column(SmallInteger, default=90)

    @property
    def name(self) -> str:
        return self.network


class Pool(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """Hands out the addresses (or delegated IPv6 prefixes) of one leaf prefix.

    The prefix's network, family and VRF are copied here (they never change) so allocation
    reads one row, which it also locks: allocations in one pool queue behind each other,
    allocations in different pools do not.
    """

    __tablename__ = "ipam_pools"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)
    __audit_exclude__ = frozenset({"allocated_count"})

    name: Mapped[str] = mapped_column(String(100))
    prefix_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("ipam_prefixes.id"), unique=True)
    vrf_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    family: Mapped[int] = mapped_column(SmallInteger)
    network: Mapped[str] = mapped_column(String(43))
    kind: Mapped[str] = mapped_column(String(16))
    delegated_length: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    fully_usable: Mapped[bool] = mapped_column(Boolean, default=False)
    gateway: Mapped[str | None] = mapped_column(String(39), nullable=True)
    alert_threshold_percent: Mapped[int] = mapped_column(SmallInteger, default=90)
    description: Mapped[str] = mapped_column(String(255), default="")
    # Slots in use, maintained under the pool's row lock (utilization without counting).
    allocated_count: Mapped[int] = mapped_column(BigInteger, default=0)


class FreeRange(TenantOwned, Base):
    """A run of free slots of a pool, [start_slot, end_slot]; see free_space.py."""

    __tablename__ = "ipam_free_ranges"

    pool_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("ipam_pools.id", ondelete="CASCADE"), primary_key=True)
    start_slot: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    end_slot: Mapped[int] = mapped_column(BigInteger)


class Allocation(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """An address or delegated prefix taken from a pool, and what holds it.

    holder_id is deliberately not a foreign key: holders live in other domains. Releasing
    deletes the row (the slot becomes free); the assignment history keeps the record.
    """

    __tablename__ = "ipam_allocations"
    __table_args__ = (
        # The backstop under the pool lock: one holder per slot, whatever races.
        UniqueConstraint("pool_id", "slot"),
        Index("ix_ipam_allocations_holder", "tenant_id", "holder_type", "holder_id"),
        Index("ix_ipam_allocations_key", "tenant_id", "start_key"),
        Index("ix_ipam_allocations_held", "status", "held_since"),
    )

    pool_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("ipam_pools.id", ondelete="CASCADE"))
    family: Mapped[int] = mapped_column(SmallInteger)
    address: Mapped[str] = mapped_column(String(39))
    prefix_length: Mapped[int] = mapped_column(SmallInteger)
    start_key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    end_key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    slot: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    holder_type: Mapped[str] = mapped_column(String(32))
    holder_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    description: Mapped[str] = mapped_column(String(255), default="")
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    held_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def name(self) -> str:
        return self.cidr

    @property
    def cidr(self) -> str:
        return f"{self.address}/{self.prefix_length}"


class AssignmentHistory(UUIDPrimaryKey, TenantOwned, Base):
    """Who held an address or prefix from when to when; rows outlive the allocation and pool."""

    __tablename__ = "ipam_assignment_history"
    __table_args__ = (
        Index("ix_ipam_assignment_history_key", "tenant_id", "start_key"),
        Index("ix_ipam_assignment_history_holder", "tenant_id", "holder_type", "holder_id"),
    )

    allocation_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    pool_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    vrf_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    family: Mapped[int] = mapped_column(SmallInteger)
    address: Mapped[str] = mapped_column(String(39))
    prefix_length: Mapped[int] = mapped_column(SmallInteger)
    start_key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    end_key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    status: Mapped[str] = mapped_column(String(16))
    holder_type: Mapped[str] = mapped_column(String(32))
    holder_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    description: Mapped[str] = mapped_column(String(255), default="")
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class UtilizationAlert(UUIDPrimaryKey, TenantOwned, Base):
    """A pool or prefix crossed its utilization threshold; cleared when it falls back below."""

    __tablename__ = "ipam_utilization_alerts"
    __table_args__ = (Index("ix_ipam_utilization_alerts_open", "tenant_id", "cleared_at"),)

    subject_type: Mapped[str] = mapped_column(String(16))
    pool_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("ipam_pools.id", ondelete="CASCADE"), nullable=True, index=True)
    prefix_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("ipam_prefixes.id", ondelete="CASCADE"), nullable=True, index=True)
    label: Mapped[str] = mapped_column(String(160))
    threshold_percent: Mapped[int] = mapped_column(Integer)
    utilization_percent: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    summary: Mapped[str] = mapped_column(String(255))
    crossed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
