"""Discovered topology: each device's neighbour-discovery state, and the links between ports."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from dotmac_isp.shared.db import Base, TenantOwned, UUIDPrimaryKey
from dotmac_isp.shared.types import UTCDateTime, utcnow


class TopologyNode(UUIDPrimaryKey, TenantOwned, Base):
    """A managed device as the topology knows it: what it says it is over LLDP (its chassis
    id lets neighbours name it), whether it is core, and how its last discovery went."""

    __tablename__ = "network_topology_nodes"
    __table_args__ = (UniqueConstraint("device_id"),
                      Index("ix_network_topology_nodes_tenant_chassis", "tenant_id",
                            "chassis_id"))

    device_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("network_devices.id", ondelete="CASCADE"))
    # Core (or site) routers are where the network is entered: impact runs away from them.
    is_core: Mapped[bool] = mapped_column(Boolean, default=False)
    chassis_id: Mapped[str] = mapped_column(String(255), default="")
    sys_name: Mapped[str] = mapped_column(String(255), default="")
    neighbours_seen: Mapped[int] = mapped_column(Integer, default=0)
    last_scan_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)


class Link(UUIDPrimaryKey, TenantOwned, Base):
    """One link between two ports, whichever end reported it (or both).

    End a is always a managed device. End b is a managed device too, or a neighbour we do not
    manage, kept with the names it announced. link_key identifies the pair of ends (device or
    chassis, and port name), the same from either end's reading.
    """

    __tablename__ = "network_links"
    __table_args__ = (UniqueConstraint("tenant_id", "link_key"),
                      Index("ix_network_links_tenant_last_seen", "tenant_id", "last_seen_at"))

    link_key: Mapped[str] = mapped_column(String(64))
    protocol: Mapped[str] = mapped_column(String(8))
    a_device_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("network_devices.id", ondelete="CASCADE"), index=True)
    a_interface_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("network_interfaces.id", ondelete="SET NULL"), nullable=True)
    a_port: Mapped[str] = mapped_column(String(255), default="")
    # What end a announced of itself (filled from its own reading or its neighbour's)
    a_chassis_id: Mapped[str] = mapped_column(String(255), default="")
    a_name: Mapped[str] = mapped_column(String(255), default="")
    a_address: Mapped[str | None] = mapped_column(String(45), nullable=True)
    a_description: Mapped[str] = mapped_column(String(255), default="")
    b_device_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("network_devices.id", ondelete="CASCADE"), nullable=True, index=True)
    b_interface_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("network_interfaces.id", ondelete="SET NULL"), nullable=True)
    b_port: Mapped[str] = mapped_column(String(255), default="")
    # What end b announced: all there is to know of a neighbour we do not manage
    b_chassis_id: Mapped[str] = mapped_column(String(255), default="")
    b_name: Mapped[str] = mapped_column(String(255), default="")
    b_address: Mapped[str | None] = mapped_column(String(45), nullable=True)
    b_description: Mapped[str] = mapped_column(String(255), default="")
    discovered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def other_end(self, device_id: uuid.UUID) -> tuple[uuid.UUID | None, uuid.UUID | None, str]:
        """(device, interface, port) of the end that is not this device."""
        if self.a_device_id == device_id:
            return self.b_device_id, self.b_interface_id, self.b_port
        return self.a_device_id, self.a_interface_id, self.a_port

    def announced_by_other(self, device_id: uuid.UUID) -> tuple[str, str, str | None, str]:
        """(chassis id, name, address, description) the end that is not this device
        announced."""
        if self.a_device_id == device_id:
            return self.b_chassis_id, self.b_name, self.b_address, self.b_description
        return self.a_chassis_id, self.a_name, self.a_address, self.a_description

    def own_end(self, device_id: uuid.UUID) -> tuple[uuid.UUID | None, str]:
        """(interface, port) of this device's end."""
        if self.a_device_id == device_id:
            return self.a_interface_id, self.a_port
        return self.b_interface_id, self.b_port
