"""Reseller states, statement states and the kinds of commission line."""

from __future__ import annotations

from enum import StrEnum


class ResellerStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"  # its staff cannot sign in to pages; its portal stays up
    CLOSED = "closed"


class StatementStatus(StrEnum):
    DRAFT = "draft"  # recomputed by every run of the job
    APPROVED = "approved"  # final: nothing changes it any more


class LineKind(StrEnum):
    PAYMENT = "payment"
    REFUND = "refund"
    ACTIVATION = "activation"
    VOUCHER_BATCH = "voucher_batch"  # what the reseller owes for a batch: a negative line
