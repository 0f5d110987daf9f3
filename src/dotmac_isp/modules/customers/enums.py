"""Customer enumerations and the lifecycle's legal moves."""

from __future__ import annotations

from enum import StrEnum


class CustomerKind(StrEnum):
    RESIDENTIAL = "residential"
    BUSINESS = "business"


class CustomerStatus(StrEnum):
    LEAD = "lead"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class AddressKind(StrEnum):
    BILLING = "billing"
    SERVICE = "service"


class ContactRole(StrEnum):
    PRIMARY = "primary"
    BILLING = "billing"
    TECHNICAL = "technical"
    OTHER = "other"


S = CustomerStatus
CUSTOMER_TRANSITIONS: dict[CustomerStatus, frozenset[CustomerStatus]] = {
    S.LEAD: frozenset({S.ACTIVE, S.CLOSED}),
    S.ACTIVE: frozenset({S.SUSPENDED, S.CLOSED}),
    S.SUSPENDED: frozenset({S.ACTIVE, S.CLOSED}),
    S.CLOSED: frozenset({S.ACTIVE}),  # a returning customer is reopened, keeping its history
}
