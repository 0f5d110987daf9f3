"""Plan and subscription enumerations, and the subscription state machine's legal moves."""

from __future__ import annotations

from enum import StrEnum


class PlanKind(StrEnum):
    INTERNET = "internet"
    VOICE = "voice"
    TV = "tv"
    OTHER = "other"


class BillingCycle(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUAL = "annual"

    @property
    def months(self) -> int:
        return {"monthly": 1, "quarterly": 3, "annual": 12}[self.value]


class SubscriptionStatus(StrEnum):
    PENDING = "pending"
    PROVISIONING = "provisioning"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    FAILED = "failed"
    TERMINATED = "terminated"


class ScheduledAction(StrEnum):
    STATUS = "status"
    CHANGE_PLAN = "change_plan"


class ScheduledState(StrEnum):
    PENDING = "pending"
    APPLIED = "applied"
    FAILED = "failed"
    CANCELLED = "cancelled"


S = SubscriptionStatus
TRANSITIONS: dict[SubscriptionStatus, frozenset[SubscriptionStatus]] = {
    S.PENDING: frozenset({S.PROVISIONING, S.TERMINATED}),
    S.PROVISIONING: frozenset({S.ACTIVE, S.FAILED, S.TERMINATED}),
    S.FAILED: frozenset({S.PROVISIONING, S.TERMINATED}),
    S.ACTIVE: frozenset({S.SUSPENDED, S.TERMINATED}),
    S.SUSPENDED: frozenset({S.ACTIVE, S.TERMINATED}),
    S.TERMINATED: frozenset(),
}
