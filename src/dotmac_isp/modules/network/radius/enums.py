"""RADIUS enumerations."""

from __future__ import annotations

from enum import StrEnum


class NasVendor(StrEnum):
    MIKROTIK = "mikrotik"
    CISCO = "cisco"
    JUNIPER = "juniper"
    GENERIC = "generic"


class AcctStatus(StrEnum):
    """Acct-Status-Type (RFC 2866 5.1, RFC 2869 for Interim-Update)."""

    START = "start"
    STOP = "stop"
    INTERIM = "interim"
    ACCOUNTING_ON = "accounting-on"
    ACCOUNTING_OFF = "accounting-off"


ACCT_STATUS_CODES: dict[int, AcctStatus] = {
    1: AcctStatus.START, 2: AcctStatus.STOP, 3: AcctStatus.INTERIM,
    7: AcctStatus.ACCOUNTING_ON, 8: AcctStatus.ACCOUNTING_OFF,
}


class CoaKind(StrEnum):
    DISCONNECT = "disconnect"
    COA = "coa"


class CoaReason(StrEnum):
    SUSPENDED = "suspended"
    RESTORED = "restored"
    PLAN_CHANGED = "plan_changed"
    TERMINATED = "terminated"
    DATA_CAP = "data_cap"
    STAFF = "staff"


class CoaState(StrEnum):
    PENDING = "pending"
    ACKED = "acked"
    NAKED = "naked"
    FAILED = "failed"  # no answer after the last attempt


class PostAuthReply(StrEnum):
    ACCEPT = "Access-Accept"
    REJECT = "Access-Reject"


class ChangeKind(StrEnum):
    """What a policy-change row invalidates in the servers' caches."""

    SUBSCRIPTION = "subscription"
    PLAN = "plan"
    NAS = "nas"
    ALL = "all"
