"""What the run and the lifecycle handlers share: a subscription's period schedule, its
charge lines, the customer's open draft, and issuing drafts whose review window has passed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import invoices, payments, proration
from dotmac_isp.modules.billing.enums import LineKind
from dotmac_isp.modules.billing.events import InvoiceIssued
from dotmac_isp.modules.billing.invoices import LineInput
from dotmac_isp.modules.billing.models import BillingAccount, BillingSettings, Invoice
from dotmac_isp.modules.billing.proration import Period
from dotmac_isp.modules.billing.repository import InvoiceRepository
from dotmac_isp.modules.services.enums import BillingCycle
from dotmac_isp.shared.events import publish
from dotmac_isp.shared.types import utcnow

ZERO = Decimal("0")


def local_date(moment: datetime, timezone: str) -> date:
    """The calendar day a moment falls on in the tenant's time zone."""
    return moment.astimezone(_zone(timezone)).date()


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@dataclass(frozen=True)
class Schedule:
    activation: date
    boundary: date
    months: int

    def period_of(self, day: date) -> Period:
        return proration.period_containing(day, self.boundary, self.months)


def schedule(activation: date, cycle: str, settings: BillingSettings,
             account: BillingAccount | None) -> Schedule:
    """Where a subscription's periods fall: the customer's billing day, else the tenant's,
    else the activation day (anniversary)."""
    if account is not None and account.anniversary:
        day = proration.anchor_day(activation, None)
    elif account is not None and account.billing_day:
        day = account.billing_day
    else:
        day = proration.anchor_day(activation, settings.billing_day)
    return _schedule(activation, day, cycle)


@lru_cache(maxsize=4096)
def _schedule(activation: date, day: int, cycle: str) -> Schedule:
    return Schedule(activation, proration.first_boundary(activation, day),
                    BillingCycle(cycle).months)


def billing_start(activation: date, first_billed: date | None) -> date:
    """The first day this system bills: activation, or later for a service moved in from
    another system that billed it until then."""
    return max(activation, first_billed) if first_billed is not None else activation


def period_line(subscription_id: uuid.UUID, plan_name: str, price: Decimal, used: Period,
                full: Period, *, kind: LineKind = LineKind.SUBSCRIPTION,
                sign: int = 1, label: str = "") -> LineInput:
    amount = proration.prorate(price, used, full)
    partial = "" if used == full else f" ({used.days} of {full.days} days)"
    text = label or plan_name
    return LineInput(kind=kind, description=f"{text}, {used.label()}{partial}",
                     unit_price=amount * sign, subscription_id=subscription_id,
                     period_start=used.start, period_end=used.end - timedelta(days=1))


def draft_for(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID, currency: str,
              today: date, settings: BillingSettings,
              run_id: uuid.UUID | None = None) -> Invoice:
    """The customer's open draft in that currency, or a new one held for the review window."""
    repo = InvoiceRepository(session, tenant_id)
    existing = session.scalars(repo.select().where(
        Invoice.customer_id == customer_id, Invoice.status == "draft",
        Invoice.currency == currency).order_by(Invoice.created_at).limit(1)).first()
    if existing is not None:
        return existing
    return invoices.new_draft(session, tenant_id, customer_id, currency=currency, run_id=run_id,
                              hold_until=today + timedelta(days=settings.review_days))


def maybe_issue(session: Session, invoice: Invoice, today: date,
                settings: BillingSettings) -> bool:
    """Issue a draft once its review window has passed and it reaches the minimum amount;
    customer credit is applied to it at once."""
    if invoice.status != "draft" or not invoice.lines:
        return False
    if invoice.hold_until is not None and invoice.hold_until > today:
        return False
    if invoice.total < settings.min_invoice_amount or invoice.total < 0:
        return False
    invoices.issue(session, invoice, today, settings)
    session.flush()
    payments.apply_credit(session, invoice.tenant_id, invoice.customer_id, today)
    publish(session, InvoiceIssued(tenant_id=invoice.tenant_id, occurred_at=utcnow(),
                                   invoice_id=invoice.id, customer_id=invoice.customer_id,
                                   number=invoice.number or "", total=invoice.total,
                                   currency=invoice.currency))
    return True


def bill(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID, currency: str,
         lines: list[LineInput], today: date, settings: BillingSettings,
         run_id: uuid.UUID | None = None) -> Invoice:
    """Put lines on the customer's draft and issue it if it is due."""
    draft = draft_for(session, tenant_id, customer_id, currency, today, settings, run_id)
    invoices.add_lines(session, draft, lines)
    maybe_issue(session, draft, today, settings)
    return draft
