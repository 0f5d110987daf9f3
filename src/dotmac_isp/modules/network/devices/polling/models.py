"""Time series of poll results: raw points for days, hourly rollups for months."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from dotmac_isp.shared.db import Base, TenantOwned
from dotmac_isp.shared.types import UTCDateTime


class DeviceSample(TenantOwned, Base):
    """One poll of one device."""

    __tablename__ = "network_device_samples"
    __table_args__ = (Index("ix_network_device_samples_sampled_at", "sampled_at"),)

    device_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("network_devices.id", ondelete="CASCADE"), primary_key=True)
    sampled_at: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    reachable: Mapped[bool] = mapped_column(Boolean)
    response_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    cpu_pct: Mapped[float | None] = mapped_column(Float, nullable=True)
    memory_pct: Mapped[float | None] = mapped_column(Float, nullable=True)


class InterfaceSample(TenantOwned, Base):
    """Bit rates of one interface between two polls, stamped at the later poll."""

    __tablename__ = "network_interface_samples"
    __table_args__ = (Index("ix_network_interface_samples_sampled_at", "sampled_at"),)

    interface_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("network_interfaces.id", ondelete="CASCADE"), primary_key=True)
    sampled_at: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    in_bps: Mapped[float] = mapped_column(Float)
    out_bps: Mapped[float] = mapped_column(Float)
    oper_up: Mapped[bool] = mapped_column(Boolean)


class DeviceRollup(TenantOwned, Base):
    """One hour of a device's polls."""

    __tablename__ = "network_device_rollups"
    __table_args__ = (Index("ix_network_device_rollups_hour_start", "hour_start"),)

    device_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("network_devices.id", ondelete="CASCADE"), primary_key=True)
    hour_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    polls: Mapped[int] = mapped_column(Integer)
    availability_pct: Mapped[float] = mapped_column(Float)
    response_ms_avg: Mapped[float | None] = mapped_column(Float, nullable=True)
    cpu_pct_avg: Mapped[float | None] = mapped_column(Float, nullable=True)
    cpu_pct_max: Mapped[float | None] = mapped_column(Float, nullable=True)
    memory_pct_avg: Mapped[float | None] = mapped_column(Float, nullable=True)


class InterfaceRollup(TenantOwned, Base):
    """One hour of an interface's rates: average and peak each way."""

    __tablename__ = "network_interface_rollups"
    __table_args__ = (Index("ix_network_interface_rollups_hour_start", "hour_start"),)

    interface_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("network_interfaces.id", ondelete="CASCADE"), primary_key=True)
    hour_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    samples: Mapped[int] = mapped_column(Integer)
    in_bps_avg: Mapped[float] = mapped_column(Float)
    in_bps_max: Mapped[float] = mapped_column(Float)
    out_bps_avg: Mapped[float] = mapped_column(Float)
    out_bps_max: Mapped[float] = mapped_column(Float)
