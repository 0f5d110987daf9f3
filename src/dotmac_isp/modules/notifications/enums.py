"""Delivery states of the outbox."""

from __future__ import annotations

from enum import StrEnum


class DeliveryStatus(StrEnum):
    QUEUED = "queued"  # waiting for the commit, or for the job
    SENDING = "sending"  # claimed by one sender until its lease ends
    SENT = "sent"
    RETRYING = "retrying"  # a temporary failure; next_attempt_at says when
    FAILED = "failed"  # refused for good, or out of attempts


PENDING = frozenset({DeliveryStatus.QUEUED, DeliveryStatus.RETRYING})
