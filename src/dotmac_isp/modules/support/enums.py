"""Ticket statuses and their legal moves, sources, message kinds and SLA states."""

from __future__ import annotations

from enum import StrEnum


class TicketStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING_CUSTOMER = "pending_customer"
    PENDING_THIRD_PARTY = "pending_third_party"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"


S = TicketStatus
_WORKING = {S.OPEN, S.PENDING_CUSTOMER, S.PENDING_THIRD_PARTY, S.RESOLVED, S.CLOSED}
TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    S.NEW: frozenset(_WORKING),
    S.OPEN: frozenset(_WORKING - {S.OPEN}),
    S.PENDING_CUSTOMER: frozenset(_WORKING - {S.PENDING_CUSTOMER}),
    S.PENDING_THIRD_PARTY: frozenset(_WORKING - {S.PENDING_THIRD_PARTY}),
    S.REOPENED: frozenset(_WORKING),
    S.RESOLVED: frozenset({S.CLOSED, S.REOPENED}),
    S.CLOSED: frozenset(),  # final: a new problem is a new ticket
}
# While the ticket waits on someone else the SLA clock stands still.
WAITING = frozenset({S.PENDING_CUSTOMER, S.PENDING_THIRD_PARTY})
DONE = frozenset({S.RESOLVED, S.CLOSED})
ACTIVE = frozenset(set(TicketStatus) - DONE)


class TicketSource(StrEnum):
    PORTAL = "portal"
    EMAIL = "email"
    PHONE = "phone"
    STAFF = "staff"


class MessageKind(StrEnum):
    REPLY = "reply"  # public: the customer sees it
    NOTE = "note"  # internal: staff only


class AuthorType(StrEnum):
    STAFF = "staff"
    CUSTOMER = "customer"
    SYSTEM = "system"


class SlaState(StrEnum):
    NONE = "none"  # no target applies
    RUNNING = "running"
    AT_RISK = "at_risk"
    PAUSED = "paused"
    BREACHED = "breached"
    MET = "met"


# The clock of a target in these states still counts toward a breach.
COUNTING = frozenset({SlaState.RUNNING, SlaState.AT_RISK})


class SlaTarget(StrEnum):
    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"


class EscalationTrigger(StrEnum):
    AT_RISK = "at_risk"
    BREACHED = "breached"


class EventKind(StrEnum):
    CREATED = "created"
    STATUS = "status"
    PRIORITY = "priority"
    ASSIGNED = "assigned"
    CHANGED = "changed"
    SLA_AT_RISK = "sla_at_risk"
    SLA_BREACHED = "sla_breached"
    SLA_PAUSED = "sla_paused"
    SLA_RESUMED = "sla_resumed"
    ESCALATED = "escalated"
    MERGED = "merged"
    INCIDENT = "incident"
    ATTACHMENT = "attachment"
    EMAIL = "email"
