"""Ticket tables: tickets, their conversation, timeline and attachments, and teams."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from dotmac_isp.shared.db import Audited, Base, TenantOwned, Timestamps, UUIDPrimaryKey
from dotmac_isp.shared.trigram import trigram_index
from dotmac_isp.shared.types import JSONType, UTCDateTime, utcnow


class Team(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """A group of staff tickets are routed to (first line, NOC, field engineers...)."""

    __tablename__ = "support_teams"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254), default="")
    description: Mapped[str] = mapped_column(String(500), default="")


class Ticket(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        Index("ix_tickets_tenant_status", "tenant_id", "status"),
        Index("ix_tickets_tenant_assignee", "tenant_id", "assignee_id"),
        Index("ix_tickets_tenant_incident", "tenant_id", "incident_id"),
        Index("ix_tickets_resolution_due", "resolution_state", "resolution_due_at"),
        Index("ix_tickets_first_response_due", "first_response_state", "first_response_due_at"),
        trigram_index("ix_tickets_number_trgm", "number"),
        trigram_index("ix_tickets_subject_trgm", "subject"),
    )
    __audit_exclude__ = frozenset({"version", "reply_token", "first_response_used_seconds",
                                   "resolution_used_seconds", "sla_running_since"})

    number: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("customers.id", ondelete="RESTRICT"), index=True)
    subscription_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("subscriptions.id", ondelete="SET NULL"), nullable=True)
    # Devices and incidents live in the network module; kept as plain ids.
    device_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    incident_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    subject: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(64), default="general")
    priority: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24), default="new")
    source: Mapped[str] = mapped_column(String(16), default="staff")
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("support_teams.id", ondelete="SET NULL"), nullable=True)
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # The secret in support+<token>@ reply addresses; matches inbound mail to the ticket.
    reply_token: Mapped[str] = mapped_column(String(32), unique=True)
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("tickets.id", ondelete="SET NULL"), nullable=True)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    # SLA: one clock runs while the ticket is worked on; each target keeps the business time
    # used before the current run, its due time, the moment it becomes at risk, and its state.
    sla_policy_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("sla_policies.id", ondelete="RESTRICT"), nullable=True, index=True)
    at_risk_percent: Mapped[int] = mapped_column(Integer, default=80)
    sla_running_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    first_response_target_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    first_response_used_seconds: Mapped[int] = mapped_column(Integer, default=0)
    first_response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    first_response_at_risk_at: Mapped[datetime | None] = mapped_column(UTCDateTime,
                                                                       nullable=True)
    first_response_state: Mapped[str] = mapped_column(String(16), default="none")
    resolution_target_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    resolution_used_seconds: Mapped[int] = mapped_column(Integer, default=0)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolution_at_risk_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolution_state: Mapped[str] = mapped_column(String(16), default="none")
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def name(self) -> str:
        """How the ticket reads in the audit log and in lists."""
        return f"{self.number} {self.subject}"


class TicketMessage(UUIDPrimaryKey, TenantOwned, Base):
    """A public reply or an internal note; customers never see notes."""

    __tablename__ = "ticket_messages"
    __table_args__ = (Index("ix_ticket_messages_ticket", "ticket_id", "created_at"),)

    ticket_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    author_type: Mapped[str] = mapped_column(String(16))
    author_user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    author_label: Mapped[str] = mapped_column(String(254), default="")
    via: Mapped[str] = mapped_column(String(16), default="staff")
    body: Mapped[str] = mapped_column(Text)
    # The Message-ID of an emailed reply, so a message delivered twice is stored once.
    email_message_id: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TicketEvent(UUIDPrimaryKey, TenantOwned, Base):
    """A line of the ticket's timeline: status and priority changes, assignment, SLA events."""

    __tablename__ = "ticket_events"
    __table_args__ = (Index("ix_ticket_events_ticket", "ticket_id", "created_at"),)

    ticket_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    summary: Mapped[str] = mapped_column(String(500))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    actor_label: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TicketAttachment(UUIDPrimaryKey, TenantOwned, Audited, Base):
    """A file on a ticket. Customers see it only when it belongs to a public reply."""

    __tablename__ = "ticket_attachments"

    ticket_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("ticket_messages.id", ondelete="SET NULL"), nullable=True, index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(255))
    uploaded_by: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
