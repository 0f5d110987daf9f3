"""Enumerations shared across domains."""

from __future__ import annotations

from enum import StrEnum


class Priority(StrEnum):
    """Urgency of work (tickets, alerts, work orders), lowest first."""

    LOW = "low"
    MEDIUM = "medium"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _PRIORITY_ORDER.index(self)

    def raised(self) -> Priority:
        """The next priority up (CRITICAL stays CRITICAL)."""
        return _PRIORITY_ORDER[min(self.rank + 1, len(_PRIORITY_ORDER) - 1)]


_PRIORITY_ORDER = list(Priority)


class ActorType(StrEnum):
    USER = "user"
    API_KEY = "api_key"
    SYSTEM = "system"
    CUSTOMER = "customer"  # a customer signed in to the portal
