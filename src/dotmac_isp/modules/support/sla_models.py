"""SLA tables: business-hours calendars, policies, escalation rules and escalation records."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from dotmac_isp.shared.db import Audited, Base, TenantOwned, Timestamps, UUIDPrimaryKey
from dotmac_isp.shared.types import JSONType, UTCDateTime, utcnow


class BusinessCalendar(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """Working hours per weekday in a time zone, and holidays."""

    __tablename__ = "support_calendars"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # {"mon": [["09:00", "17:00"]], ...}; a missing day is closed.
    hours: Mapped[dict[str, list[list[str]]]] = mapped_column(JSONType, default=dict)
    # [{"date": "2026-12-25", "name": "Christmas Day"}, ...]
    holidays: Mapped[list[dict[str, str]]] = mapped_column(JSONType, default=list)


class SlaPolicy(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """First-response and resolution targets per priority, for the tickets it matches."""

    __tablename__ = "sla_policies"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=100)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Conditions; an empty list matches anything.
    priorities: Mapped[list[str]] = mapped_column(JSONType, default=list)
    categories: Mapped[list[str]] = mapped_column(JSONType, default=list)
    customer_kinds: Mapped[list[str]] = mapped_column(JSONType, default=list)
    calendar_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("support_calendars.id", ondelete="RESTRICT"), index=True)
    # {"critical": {"first_response_minutes": 15, "resolution_minutes": 240}, ...}
    targets: Mapped[dict[str, dict[str, int]]] = mapped_column(JSONType, default=dict)
    at_risk_percent: Mapped[int] = mapped_column(Integer, default=80)


class EscalationRule(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """What to do when a ticket's target becomes at risk or is breached."""

    __tablename__ = "support_escalation_rules"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=100)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    trigger: Mapped[str] = mapped_column(String(16))
    target: Mapped[str | None] = mapped_column(String(16), nullable=True)  # None: either
    policy_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("sla_policies.id", ondelete="CASCADE"), nullable=True)
    priorities: Mapped[list[str]] = mapped_column(JSONType, default=list)
    notify_assignee: Mapped[bool] = mapped_column(Boolean, default=True)
    notify_team: Mapped[bool] = mapped_column(Boolean, default=False)
    notify_emails: Mapped[list[str]] = mapped_column(JSONType, default=list)
    raise_priority: Mapped[bool] = mapped_column(Boolean, default=False)
    reassign_user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    reassign_team_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("support_teams.id", ondelete="SET NULL"), nullable=True)


class Escalation(UUIDPrimaryKey, TenantOwned, Base):
    """One escalation of one ticket for one trigger and target; the unique key is what keeps
    the SLA check from escalating the same breach twice."""

    __tablename__ = "support_escalations"
    __table_args__ = (UniqueConstraint("ticket_id", "trigger", "target"),)

    ticket_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("tickets.id", ondelete="CASCADE"))
    trigger: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(16))
    rule_names: Mapped[list[str]] = mapped_column(JSONType, default=list)
    actions: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def describe(self) -> dict[str, Any]:
        return {"trigger": self.trigger, "target": self.target, "actions": self.actions}
