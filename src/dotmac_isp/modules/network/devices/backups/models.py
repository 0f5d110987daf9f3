"""Configuration versions fetched from devices over SSH."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from dotmac_isp.shared.db import Base, TenantOwned, UUIDPrimaryKey
from dotmac_isp.shared.types import UTCDateTime, utcnow


class ConfigBackup(UUIDPrimaryKey, TenantOwned, Base):
    """One version of a device's configuration; a new one is stored only when it changed."""

    __tablename__ = "network_config_backups"
    __table_args__ = (UniqueConstraint("device_id", "version"),)

    device_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("network_devices.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    size_bytes: Mapped[int] = mapped_column(Integer)
    lines_added: Mapped[int] = mapped_column(Integer, default=0)
    lines_removed: Mapped[int] = mapped_column(Integer, default=0)
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Each unchanged fetch moves this forward, so the page shows when it was last confirmed.
    last_confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
