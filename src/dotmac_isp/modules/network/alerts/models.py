"""Alert rules, alerts, incidents and maintenance windows."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from dotmac_isp.shared.db import Audited, Base, TenantOwned, Timestamps, UUIDPrimaryKey
from dotmac_isp.shared.types import JSONType, UTCDateTime, utcnow


class AlertRule(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """Fire when a metric stays past a threshold for a duration; then wait out a cooldown."""

    __tablename__ = "network_alert_rules"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    metric: Mapped[str] = mapped_column(String(32))
    operator: Mapped[str] = mapped_column(String(8), default="above")
    threshold: Mapped[float] = mapped_column(Float)
    duration_seconds: Mapped[int] = mapped_column(Integer, default=300)
    cooldown_seconds: Mapped[int] = mapped_column(Integer, default=3600)
    severity: Mapped[str] = mapped_column(String(16), default="high")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Scope: one device, or every device of a site, or (both empty) every device.
    device_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("network_devices.id", ondelete="CASCADE"), nullable=True, index=True)
    site_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("network_sites.id", ondelete="CASCADE"), nullable=True, index=True)


class AlertRuleState(UUIDPrimaryKey, TenantOwned, Base):
    """Where one rule stands for one target (a device, or one of its interfaces)."""

    __tablename__ = "network_alert_rule_states"
    __table_args__ = (UniqueConstraint("rule_id", "target_key"),)

    rule_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("network_alert_rules.id", ondelete="CASCADE"), index=True)
    target_key: Mapped[str] = mapped_column(String(80))
    device_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("network_devices.id", ondelete="CASCADE"), index=True)
    interface_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("network_interfaces.id", ondelete="CASCADE"), nullable=True)
    breach_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    open_alert_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)


class Alert(UUIDPrimaryKey, Timestamps, TenantOwned, Base):
    """Something an operator should look at. Alerts raised inside a maintenance window are
    kept, marked silenced, and announce nothing."""

    __tablename__ = "network_alerts"
    __table_args__ = (
        Index("ix_network_alerts_tenant_status", "tenant_id", "status"),
        Index("ix_network_alerts_device_kind", "device_id", "kind", "status"),
    )

    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open")
    silenced: Mapped[bool] = mapped_column(Boolean, default=False)
    message: Mapped[str] = mapped_column(String(500))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    device_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("network_devices.id", ondelete="CASCADE"), nullable=True, index=True)
    interface_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("network_interfaces.id", ondelete="SET NULL"), nullable=True)
    rule_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("network_alert_rules.id", ondelete="SET NULL"), nullable=True)
    incident_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("network_incidents.id", ondelete="SET NULL"), nullable=True,
        index=True)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(254), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Incident(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """An outage: opened when a device goes down, resolved when it comes back. Its id (and
    reference) is what support tickets link to."""

    __tablename__ = "network_incidents"
    __table_args__ = (
        UniqueConstraint("tenant_id", "reference"),
        Index("ix_network_incidents_tenant_status", "tenant_id", "status"),
    )

    reference: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="open")
    device_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("network_devices.id", ondelete="SET NULL"), nullable=True, index=True)
    device_name: Mapped[str] = mapped_column(String(200), default="")
    affected_device_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    affected_subscription_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")


class MaintenanceWindow(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """Planned work: alerts for the devices in scope are silenced between start and end."""

    __tablename__ = "network_maintenance_windows"
    __table_args__ = (Index("ix_network_maintenance_windows_span", "tenant_id", "ends_at"),)

    name: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Scope: one device, every device of a site, or (both empty) the whole network.
    device_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("network_devices.id", ondelete="CASCADE"), nullable=True, index=True)
    site_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("network_sites.id", ondelete="CASCADE"), nullable=True, index=True)
