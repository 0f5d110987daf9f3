"""Inventory tables: sites, devices (with their SNMP and SSH settings) and interfaces."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from dotmac_isp.shared.db import Audited, Base, TenantOwned, Timestamps, UUIDPrimaryKey
from dotmac_isp.shared.trigram import trigram_index
from dotmac_isp.shared.types import UTCDateTime

_OFFSET = 2**63


class Counter64(TypeDecorator[int]):
    """An unsigned 64-bit SNMP counter in a signed BIGINT (stored offset by 2**63).

    SQLite turns integers past 2**63 into floats, and PostgreSQL's bigint is signed, so the
    value is shifted into the signed range to keep every bit on both.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: int | None, dialect: Dialect) -> int | None:
        return None if value is None else int(value) - _OFFSET

    def process_result_value(self, value: int | None, dialect: Dialect) -> int | None:
        return None if value is None else int(value) + _OFFSET


class Site(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """A place where equipment stands: a POP, a tower, a cabinet, a data centre."""

    __tablename__ = "network_sites"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(500), default="")
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6), nullable=True)
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6), nullable=True)


class Device(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """A managed network element. Poll state columns change on every poll and are not audited;
    secrets are stored encrypted and never recorded."""

    __tablename__ = "network_devices"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        Index("ix_network_devices_next_poll_at", "next_poll_at"),
        trigram_index("ix_network_devices_name_trgm", "name"),
        trigram_index("ix_network_devices_ip_trgm", "management_ip"),
        trigram_index("ix_network_devices_serial_trgm", "serial_number"),
        Index("ix_network_devices_tenant_latitude", "tenant_id", "latitude"),
    )
    __audit_exclude__ = frozenset({
        "snmp_community_enc", "snmp_auth_key_enc", "snmp_priv_key_enc", "ssh_password_enc",
        "ssh_private_key_enc",
        "reachability", "consecutive_failures", "last_polled_at", "next_poll_at", "last_seen_at",
        "last_poll_error", "response_ms", "sys_descr", "sys_name", "sys_uptime_seconds",
        "cpu_pct", "memory_pct", "state_changed_at", "interfaces_discovered_at",
        "last_backup_at", "last_backup_error", "next_backup_at",
    })

    name: Mapped[str] = mapped_column(String(200))
    device_type: Mapped[str] = mapped_column(String(32))
    vendor: Mapped[str] = mapped_column(String(100), default="")
    model: Mapped[str] = mapped_column(String(100), default="")
    serial_number: Mapped[str] = mapped_column(String(100), default="")
    firmware_version: Mapped[str] = mapped_column(String(100), default="")
    management_ip: Mapped[str | None] = mapped_column(String(45), nullable=True)
    site_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("network_sites.id", ondelete="SET NULL"), nullable=True, index=True)
    parent_device_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("network_devices.id", ondelete="SET NULL"), nullable=True, index=True)
    # The subscriptions module owns subscriptions; no foreign key so either side can ship alone.
    subscription_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    notes: Mapped[str] = mapped_column(Text, default="")
    # Where the device stands, when not at its site's coordinates (a tower's sector, a CPE)
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6), nullable=True)
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6), nullable=True)

    # SNMP monitoring
    monitoring_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    snmp_version: Mapped[str] = mapped_column(String(8), default="v2c")
    snmp_port: Mapped[int] = mapped_column(Integer, default=161)
    snmp_community_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    snmp_username: Mapped[str | None] = mapped_column(String(64), nullable=True)
    snmp_auth_protocol: Mapped[str] = mapped_column(String(16), default="none")
    snmp_auth_key_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    snmp_priv_protocol: Mapped[str] = mapped_column(String(16), default="none")
    snmp_priv_key_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    snmp_timeout_ms: Mapped[int] = mapped_column(Integer, default=1000)
    snmp_retries: Mapped[int] = mapped_column(Integer, default=1)
    # Every 5 minutes, as LibreNMS, Observium and Cacti poll: at 100,000 ports a minute
    # would be 1,667 rates a second to store.
    poll_interval_seconds: Mapped[int] = mapped_column(Integer, default=300)
    down_after_failures: Mapped[int] = mapped_column(Integer, default=3)
    cpu_oid: Mapped[str | None] = mapped_column(String(128), nullable=True)
    memory_oid: Mapped[str | None] = mapped_column(String(128), nullable=True)

    # Poll state (written by the poller)
    reachability: Mapped[str] = mapped_column(String(16), default="unknown")
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_poll_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    response_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    sys_descr: Mapped[str | None] = mapped_column(Text, nullable=True)
    sys_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    sys_uptime_seconds: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    cpu_pct: Mapped[float | None] = mapped_column(Float, nullable=True)
    memory_pct: Mapped[float | None] = mapped_column(Float, nullable=True)
    state_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    interfaces_discovered_at: Mapped[datetime | None] = mapped_column(UTCDateTime,
                                                                      nullable=True)

    # Configuration backup over SSH
    backup_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    ssh_port: Mapped[int] = mapped_column(Integer, default=22)
    ssh_username: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ssh_password_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    ssh_private_key_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    netmiko_device_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    backup_command: Mapped[str | None] = mapped_column(String(500), nullable=True)
    backup_interval_hours: Mapped[int] = mapped_column(Integer, default=24)
    last_backup_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_backup_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    next_backup_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def has_snmp_credentials(self) -> bool:
        return bool(self.snmp_community_enc or self.snmp_username)

    @property
    def has_ssh_credentials(self) -> bool:
        return bool(self.ssh_username and (self.ssh_password_enc or self.ssh_private_key_enc))

    def secrets_summary(self) -> dict[str, Any]:
        """Which secrets are set (never their values)."""
        return {
            "snmp_community_set": self.snmp_community_enc is not None,
            "snmp_auth_key_set": self.snmp_auth_key_enc is not None,
            "snmp_priv_key_set": self.snmp_priv_key_enc is not None,
            "ssh_password_set": self.ssh_password_enc is not None,
            "ssh_private_key_set": self.ssh_private_key_enc is not None,
        }


class Interface(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """A device port, found by SNMP discovery (or entered by hand) and keyed by ifIndex."""

    __tablename__ = "network_interfaces"
    __table_args__ = (UniqueConstraint("device_id", "if_index"),)
    __audit_exclude__ = frozenset({
        "admin_status", "oper_status", "last_in_octets", "last_out_octets",
        "last_counter_at", "last_counter_uptime", "in_bps", "out_bps", "counter_bits",
        "last_change_at",
    })

    device_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("network_devices.id", ondelete="CASCADE"), index=True)
    if_index: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(String(255), default="")
    alias: Mapped[str] = mapped_column(String(255), default="")
    speed_mbps: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    monitored: Mapped[bool] = mapped_column(Boolean, default=True)
    admin_status: Mapped[str] = mapped_column(String(20), default="unknown")
    oper_status: Mapped[str] = mapped_column(String(20), default="unknown")
    last_change_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The previous counter reading, to turn the next one into a rate.
    counter_bits: Mapped[int] = mapped_column(Integer, default=64)
    last_in_octets: Mapped[int | None] = mapped_column(Counter64, nullable=True)
    last_out_octets: Mapped[int | None] = mapped_column(Counter64, nullable=True)
    last_counter_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_counter_uptime: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    in_bps: Mapped[float | None] = mapped_column(Float, nullable=True)
    out_bps: Mapped[float | None] = mapped_column(Float, nullable=True)

    @property
    def label(self) -> str:
        return self.name or self.description or f"ifIndex {self.if_index}"

    @property
    def utilization_pct(self) -> float | None:
        if not self.speed_mbps or self.in_bps is None or self.out_bps is None:
            return None
        return max(self.in_bps, self.out_bps) / (self.speed_mbps * 1_000_000) * 100
