"""Work order tables: the order, its history, checklist, notes and files, and the checklist
templates each kind starts from."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from dotmac_isp.shared.db import Audited, Base, TenantOwned, Timestamps, UUIDPrimaryKey
from dotmac_isp.shared.types import JSONType, UTCDateTime, utcnow


class WorkOrder(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """A job at a customer's premises: what to do, where, when and by whom."""

    __tablename__ = "work_orders"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        Index("ix_work_orders_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_work_orders_tenant_status", "tenant_id", "status"),
        Index("ix_work_orders_technician_start", "technician_id", "window_start"),
        Index("ix_work_orders_tenant_customer", "tenant_id", "customer_id"),
        Index("ix_work_orders_tenant_ticket", "tenant_id", "ticket_id"),
        Index("ix_work_orders_window_start", "status", "window_start"),
    )
    __audit_exclude__ = frozenset({"reminded_for_start"})

    number: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16), default="new")
    customer_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("customers.id", ondelete="RESTRICT"))
    subscription_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("subscriptions.id", ondelete="SET NULL"), nullable=True)
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("tickets.id", ondelete="SET NULL"), nullable=True)
    # Devices and incidents live in the network module; kept as plain ids, as tickets do.
    device_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    incident_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    description: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(500), default="")
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6), nullable=True)
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6), nullable=True)
    technician_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("support_teams.id", ondelete="SET NULL"), nullable=True)
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=60)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The window start the customer's reminder was sent for; a new time earns a new one.
    reminded_for_start: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def name(self) -> str:
        """How the work order reads in the audit log."""
        return f"{self.number} {self.kind}"


class WorkOrderHistory(UUIDPrimaryKey, TenantOwned, Base):
    """One move of a work order (status, scheduling): who, when, from, to, and why."""

    __tablename__ = "work_order_history"
    __table_args__ = (Index("ix_work_order_history_order", "work_order_id", "created_at"),)

    work_order_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("work_orders.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(2000), default="")
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    actor_label: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChecklistTemplate(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """The checklist a work order of one kind starts with: [{"label", "required"}]."""

    __tablename__ = "work_order_checklist_templates"
    __table_args__ = (UniqueConstraint("tenant_id", "kind"),)

    kind: Mapped[str] = mapped_column(String(24))
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)

    @property
    def name(self) -> str:
        return f"{self.kind} checklist"


class ChecklistItem(UUIDPrimaryKey, TenantOwned, Audited, Base):
    """A line of a work order's own checklist (copied from the template at creation)."""

    __tablename__ = "work_order_checklist_items"
    __table_args__ = (Index("ix_work_order_checklist_items_order", "work_order_id",
                            "position"),)

    work_order_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("work_orders.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(200))
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    done_by: Mapped[str] = mapped_column(String(254), default="")

    @property
    def name(self) -> str:
        return self.label


class WorkOrderNote(UUIDPrimaryKey, TenantOwned, Audited, Base):
    __tablename__ = "work_order_notes"
    __table_args__ = (Index("ix_work_order_notes_order", "work_order_id", "created_at"),)

    work_order_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("work_orders.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    author_label: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WorkOrderAttachment(UUIDPrimaryKey, TenantOwned, Audited, Base):
    """A photo or the customer's signature; the bytes live in the attachment store."""

    __tablename__ = "work_order_attachments"
    __table_args__ = (Index("ix_work_order_attachments_order", "work_order_id",
                            "created_at"),)

    work_order_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("work_orders.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(255))
    uploaded_by: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def name(self) -> str:
        return self.filename
