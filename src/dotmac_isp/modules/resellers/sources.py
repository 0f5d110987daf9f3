"""What a commission statement is computed from, read as plain rows in a few queries per
reseller and month (never a query per payment): the month's payments and refunds of the
reseller's customers, the allocations of those payments to the customers' invoices, those
invoices' service lines with the plan of each line's subscription, and the month's first
activations of the customers' subscriptions.

One read model across billing, services and customers: the statement is a report over their
rows, so it reads them here rather than through a function per row in each domain."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing.enums import LineKind
from dotmac_isp.modules.billing.models import (
    Invoice,
    InvoiceLine,
    Payment,
    PaymentAllocation,
    Refund,
)
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.hotspot.models import VoucherBatch
from dotmac_isp.modules.resellers.enums import LineKind as StatementLineKind
from dotmac_isp.modules.resellers.models import CommissionStatement, StatementLine
from dotmac_isp.modules.services.models import Subscription

# Lines that are the service a reseller sold; fees and one-off items earn no commission.
SERVICE_LINES = (LineKind.SUBSCRIPTION, LineKind.PRORATION, LineKind.ADDON, LineKind.USAGE)


@dataclass(frozen=True)
class ServiceLine:
    plan_id: uuid.UUID
    net_amount: Decimal


@dataclass
class InvoiceRow:
    id: uuid.UUID
    number: str
    total: Decimal
    lines: list[ServiceLine] = field(default_factory=list)


@dataclass(frozen=True)
class AllocationRow:
    invoice_id: uuid.UUID
    amount: Decimal


@dataclass
class PaymentRow:
    id: uuid.UUID
    number: str
    customer_id: uuid.UUID
    amount: Decimal
    amount_refunded: Decimal
    currency: str
    received_on: date
    voided: bool
    allocations: list[AllocationRow] = field(default_factory=list)


@dataclass(frozen=True)
class RefundRow:
    id: uuid.UUID
    number: str
    payment_id: uuid.UUID
    amount: Decimal
    refunded_on: date


@dataclass(frozen=True)
class ActivationRow:
    subscription_id: uuid.UUID
    customer_id: uuid.UUID
    plan_id: uuid.UUID
    username: str
    currency: str
    activated_at: datetime


@dataclass(frozen=True)
class BatchPurchaseRow:
    batch_id: uuid.UUID
    name: str
    quantity: int
    unit_price: Decimal
    total: Decimal
    currency: str
    sold_at: datetime


@dataclass
class MonthRows:
    payments: dict[uuid.UUID, PaymentRow]  # the month's payments and the refunded ones
    received: list[uuid.UUID]  # the ids of payments received in the month
    refunds: list[RefundRow]
    invoices: dict[uuid.UUID, InvoiceRow]
    activations: list[ActivationRow]
    batches: list[BatchPurchaseRow] = field(default_factory=list)


def _owned(tenant_id: uuid.UUID, reseller_id: uuid.UUID) -> Select[uuid.UUID]:
    return select(Customer.id).where(Customer.tenant_id == tenant_id,
                                     Customer.reseller_id == reseller_id)


def month_rows(session: Session, tenant_id: uuid.UUID, reseller_id: uuid.UUID, first: date,
               last: date, since: datetime, until: datetime) -> MonthRows:
    """Everything the reseller's statement for [first, last] needs; activations by the
    moment [since, until) that is the month in the tenant's time zone."""
    owned = _owned(tenant_id, reseller_id)
    refunds = [RefundRow(r.id, r.number, r.payment_id, r.amount, r.refunded_on)
               for r in session.scalars(
                   select(Refund).where(Refund.tenant_id == tenant_id,
                                        Refund.customer_id.in_(owned),
                                        Refund.refunded_on.between(first, last))
                   .order_by(Refund.refunded_on, Refund.number))]
    received_filter = (Payment.received_on.between(first, last) & Payment.voided_at.is_(None))
    refunded_ids = [r.payment_id for r in refunds]
    wanted = received_filter | Payment.id.in_(refunded_ids) if refunded_ids else received_filter
    payments: dict[uuid.UUID, PaymentRow] = {}
    received: list[uuid.UUID] = []
    for p in session.scalars(select(Payment).where(Payment.tenant_id == tenant_id,
                                                   Payment.customer_id.in_(owned), wanted)
                             .order_by(Payment.received_on, Payment.number)):
        payments[p.id] = PaymentRow(p.id, p.number, p.customer_id, p.amount, p.amount_refunded,
                                    p.currency, p.received_on, p.voided_at is not None)
        if first <= p.received_on <= last and p.voided_at is None:
            received.append(p.id)
    invoices: dict[uuid.UUID, InvoiceRow] = {}
    if payments:
        rows = session.execute(
            select(PaymentAllocation.payment_id, PaymentAllocation.invoice_id,
                   PaymentAllocation.amount, Invoice.number, Invoice.total)
            .join(Invoice, Invoice.id == PaymentAllocation.invoice_id)
            .where(PaymentAllocation.tenant_id == tenant_id,
                   PaymentAllocation.payment_id.in_(list(payments)),
                   Invoice.customer_id.in_(owned))
            .order_by(PaymentAllocation.created_at, PaymentAllocation.id))
        for payment_id, invoice_id, amount, number, total in rows:
            payments[payment_id].allocations.append(AllocationRow(invoice_id, amount))
            invoices.setdefault(invoice_id, InvoiceRow(invoice_id, number or "", total))
    if invoices:
        lines = session.execute(
            select(InvoiceLine.invoice_id, Subscription.plan_id, InvoiceLine.net_amount)
            .join(Subscription, Subscription.id == InvoiceLine.subscription_id)
            .where(InvoiceLine.tenant_id == tenant_id,
                   InvoiceLine.invoice_id.in_(list(invoices)),
                   InvoiceLine.kind.in_([k.value for k in SERVICE_LINES]))
            .order_by(InvoiceLine.invoice_id, InvoiceLine.position))
        for invoice_id, plan_id, net in lines:
            invoices[invoice_id].lines.append(ServiceLine(plan_id, net))
    activations = [ActivationRow(s.id, s.customer_id, s.plan_id, s.radius_username, currency,
                                 s.activated_at)
                   for s, currency in session.execute(
                       select(Subscription, Customer.currency)
                       .join(Customer, Customer.id == Subscription.customer_id)
                       .where(Subscription.tenant_id == tenant_id,
                              Customer.reseller_id == reseller_id,
                              Subscription.activated_at >= since,
                              Subscription.activated_at < until)
                       .order_by(Subscription.activated_at, Subscription.id))
                   if s.activated_at is not None]
    return MonthRows(payments, received, refunds, invoices, activations,
                     batch_purchases(session, tenant_id, reseller_id, first, until))


def batch_purchases(session: Session, tenant_id: uuid.UUID, reseller_id: uuid.UUID,
                    first: date, until: datetime) -> list[BatchPurchaseRow]:
    """The voucher batches the reseller bought that the statement of the month starting
    `first` carries: bought before the month's end and on no other statement of the
    reseller. So a batch lands on its month's statement, or (when that one was approved
    before the batch was sold, or never computed) on the next one computed, and on one only;
    an approved statement is never recomputed, so what it carries stays there."""
    elsewhere = (select(StatementLine.id)
                 .join(CommissionStatement, CommissionStatement.id == StatementLine.statement_id)
                 .where(StatementLine.tenant_id == tenant_id,
                        StatementLine.source_id == VoucherBatch.id,
                        StatementLine.kind == StatementLineKind.VOUCHER_BATCH.value,
                        CommissionStatement.reseller_id == reseller_id,
                        CommissionStatement.period_start != first))
    rows = session.scalars(
        select(VoucherBatch).where(VoucherBatch.tenant_id == tenant_id,
                                   VoucherBatch.reseller_id == reseller_id,
                                   VoucherBatch.sold_at < until, ~elsewhere.exists())
        .order_by(VoucherBatch.sold_at, VoucherBatch.id))
    return [BatchPurchaseRow(b.id, b.name, b.quantity or 0, b.unit_price or Decimal(0),
                             b.total or Decimal(0), b.currency or "", b.sold_at)
            for b in rows if b.sold_at is not None]
