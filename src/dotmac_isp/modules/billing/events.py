"""Events billing publishes (notifications subscribe to send the emails)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from dotmac_isp.shared.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class InvoiceIssued(DomainEvent):
    invoice_id: uuid.UUID
    customer_id: uuid.UUID
    number: str
    total: Decimal
    currency: str


@dataclass(frozen=True, kw_only=True)
class InvoicesIssued(DomainEvent):
    """Many invoices issued at once (a chunk of a billing run), handled in bulk."""

    invoice_ids: tuple[uuid.UUID, ...]


@dataclass(frozen=True, kw_only=True)
class PaymentReceived(DomainEvent):
    payment_id: uuid.UUID
    customer_id: uuid.UUID
    number: str
    amount: Decimal
    currency: str


@dataclass(frozen=True, kw_only=True)
class DunningNotice(DomainEvent):
    """A reminder or final notice about an overdue invoice (a suspension warning)."""

    invoice_id: uuid.UUID
    customer_id: uuid.UUID
    stage: str
    days_overdue: int
    balance_due: Decimal


@dataclass(frozen=True, kw_only=True)
class DunningNoticesGiven(DomainEvent):
    """The notices of one dunning chunk together, for handlers that work in bulk."""

    notices: tuple[DunningNotice, ...]
