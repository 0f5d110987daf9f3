"""Events the inventory publishes: a CPE bound to (or taken from) a subscription."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from dotmac_isp.shared.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class CpeBound(DomainEvent):
    subscription_id: uuid.UUID
    item_id: uuid.UUID
    mac: str | None


@dataclass(frozen=True, kw_only=True)
class CpeUnbound(DomainEvent):
    subscription_id: uuid.UUID
    item_id: uuid.UUID
