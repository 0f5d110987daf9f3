"""Events IPAM publishes (dotmac_isp.shared.events); notifications and RADIUS subscribe."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from dotmac_isp.shared.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class UtilizationThresholdCrossed(DomainEvent):
    """A pool or prefix went up to or past its alert threshold."""

    alert_id: uuid.UUID
    subject_type: str  # "pool" or "prefix"
    subject_id: uuid.UUID
    label: str
    threshold_percent: int
    utilization_percent: float
    used: int
    total: int


@dataclass(frozen=True, kw_only=True)
class UtilizationRecovered(DomainEvent):
    """A pool or prefix with an open alert fell back below its threshold."""

    alert_id: uuid.UUID
    subject_type: str
    subject_id: uuid.UUID
    label: str
    threshold_percent: int
    utilization_percent: float


@dataclass(frozen=True, kw_only=True)
class AddressAssigned(DomainEvent):
    """An address or delegated prefix was allocated (or reserved) for a holder."""

    allocation_id: uuid.UUID
    pool_id: uuid.UUID
    cidr: str
    holder_type: str
    holder_id: uuid.UUID | None


@dataclass(frozen=True, kw_only=True)
class AddressReleased(DomainEvent):
    """An address or delegated prefix went back to its pool."""

    allocation_id: uuid.UUID
    pool_id: uuid.UUID
    cidr: str
    holder_type: str
    holder_id: uuid.UUID | None
