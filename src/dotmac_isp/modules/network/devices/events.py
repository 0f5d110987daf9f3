"""Events the devices module publishes (its public contract).

Alerts, notifications and support subscribe with dotmac_isp.shared.events.on(...); this
module never imports them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from dotmac_isp.shared.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class DeviceEvent(DomainEvent):
    device_id: uuid.UUID
    device_name: str


@dataclass(frozen=True, kw_only=True)
class DeviceReachabilityChanged(DeviceEvent):
    """The poller's verdict on a device changed (after the failure threshold for down)."""

    previous: str
    current: str
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class DeviceWentDown(DeviceReachabilityChanged):
    """N polls in a row went unanswered."""


@dataclass(frozen=True, kw_only=True)
class DeviceCameUp(DeviceReachabilityChanged):
    """A device that was down answers again (current is up or degraded)."""


@dataclass(frozen=True, kw_only=True)
class DeviceDegraded(DeviceReachabilityChanged):
    """The device answers but part of it is faulty (an enabled port down, a table unread)."""


@dataclass(frozen=True, kw_only=True)
class DeviceRecovered(DeviceReachabilityChanged):
    """degraded -> up."""


@dataclass(frozen=True, kw_only=True)
class InterfaceUtilization:
    interface_id: uuid.UUID
    label: str
    utilization_pct: float


@dataclass(frozen=True, kw_only=True)
class DevicePolled(DeviceEvent):
    """A successful poll, with the figures alert rules look at."""

    cpu_pct: float | None
    memory_pct: float | None
    interfaces: tuple[InterfaceUtilization, ...] = ()


@dataclass(frozen=True, kw_only=True)
class DevicesPolled(DomainEvent):
    """A batch of one tenant's successful polls, published once per recorded batch so that
    subscribers read what they need for the whole batch at once."""

    polls: tuple[DevicePolled, ...]


@dataclass(frozen=True, kw_only=True)
class DeviceConfigChanged(DeviceEvent):
    """A configuration backup found a configuration different from the previous version."""

    backup_id: uuid.UUID
    version: int
    lines_added: int
    lines_removed: int
