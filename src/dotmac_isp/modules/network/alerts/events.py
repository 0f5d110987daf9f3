"""Events the alerts module publishes (its public contract), for notifications and support."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from dotmac_isp.shared.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class AlertRaised(DomainEvent):
    """A new alert outside any maintenance window (silenced alerts are not announced)."""

    alert_id: uuid.UUID
    kind: str
    severity: str
    message: str
    device_id: uuid.UUID | None = None
    incident_id: uuid.UUID | None = None


@dataclass(frozen=True, kw_only=True)
class IncidentOpened(DomainEvent):
    incident_id: uuid.UUID
    reference: str
    device_id: uuid.UUID | None
    subscription_ids: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True, kw_only=True)
class IncidentResolved(DomainEvent):
    incident_id: uuid.UUID
    reference: str
