"""Billing's answer to the subscription lifecycle (prepaid): the first prorated period and the
setup fee on activation; credit for unused days and a charge for the new plan on a plan
change; credit on suspension (unless suspended service is billed) and the charge again on
restore; credit for unused days on termination. Postpaid runs read the history instead."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import charging, invoices, proration, setup
from dotmac_isp.modules.billing.charging import local_date, period_line
from dotmac_isp.modules.billing.enums import BillingMode, LineKind
from dotmac_isp.modules.billing.invoices import LineInput
from dotmac_isp.modules.billing.models import BilledPeriod, BillingSettings, Invoice
from dotmac_isp.modules.billing.proration import Period
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.services import catalogue, events
from dotmac_isp.modules.services import service as services
from dotmac_isp.modules.services.models import Subscription
from dotmac_isp.shared.events import on
from dotmac_isp.shared.money import round_money

ZERO = Decimal("0")


class _Context:
    def __init__(self, session: Session, tenant_id: uuid.UUID, subscription_id: uuid.UUID,
                 occurred_at: datetime):
        self.session = session
        self.tenant_id = tenant_id
        self.settings: BillingSettings = setup.billing_settings(session, tenant_id)
        self.timezone = identity_service.get_tenant(session, tenant_id).timezone
        self.sub: Subscription = services.get_subscription(session, tenant_id, subscription_id)
        # Documents are dated on the day the change took effect, so a backdated or
        # scheduled change bills as if it had been made that day.
        self.day = local_date(occurred_at, self.timezone)
        self.today = self.day
        self.prepaid = self.settings.mode == BillingMode.PREPAID

    def schedule(self) -> charging.Schedule:
        assert self.sub.activated_at is not None
        account = setup.account_for(self.session, self.tenant_id, self.sub.customer_id)
        return charging.schedule(local_date(self.sub.activated_at, self.timezone),
                                 self.sub.plan.billing_cycle, self.settings, account)

    def billed_from(self, day: date) -> list[tuple[BilledPeriod, Period]]:
        """Billed periods that run past `day` with the part from `day` on: the period the
        day falls in, and later ones already billed (a backdated change reaches them)."""
        rows = self.session.scalars(select(BilledPeriod).where(
            BilledPeriod.subscription_id == self.sub.id, BilledPeriod.period_end > day)
            .order_by(BilledPeriod.period_start)).all()
        parts = []
        for row in rows:
            part = Period(row.period_start, row.period_end).clip(day, row.period_end)
            if part is not None:
                parts.append((row, part))
        return parts

    def billed(self, period: Period) -> BilledPeriod | None:
        return self.session.scalars(select(BilledPeriod).where(
            BilledPeriod.subscription_id == self.sub.id,
            BilledPeriod.period_start == period.start)).one_or_none()

    def bill(self, lines: list[LineInput]) -> Invoice:
        return charging.bill(self.session, self.tenant_id, self.sub.customer_id,
                             self.sub.plan.currency, lines, self.today, self.settings)

    def credit_due(self, billed: BilledPeriod, amount: Decimal) -> tuple[Invoice, Decimal] | None:
        """The invoice that gives back `amount` of what it charged for the period, and what
        the customer gets back: a negative line on a draft, a credit note (tax included, at
        most what is left to credit) on an issued invoice."""
        if amount <= 0 or billed.invoice_id is None:
            return None
        invoice = self.session.get(Invoice, billed.invoice_id)
        if invoice is None:
            return None
        if invoice.status == "draft":
            return invoice, amount
        gross = min(_gross(invoice, amount), invoice.total - invoice.amount_credited)
        return (invoice, gross) if gross > 0 else None

    def credit(self, billed: BilledPeriod, amount: Decimal, why: str, used: Period) -> None:
        """Give back `amount` of what the period's invoice charged."""
        due = self.credit_due(billed, amount)
        if due is None:
            return
        invoice, value = due
        if invoice.status == "draft":
            invoices.add_lines(self.session, invoice, [LineInput(
                kind=LineKind.PRORATION, description=f"{why}, {used.label()}",
                unit_price=-value, subscription_id=self.sub.id, period_start=used.start,
                period_end=used.end)])
        else:
            invoices.credit(self.session, self.tenant_id, invoice.id, amount=value,
                            reason=f"{why}, {used.label()}", on=self.today)


def _gross(invoice: Invoice, net: Decimal) -> Decimal:
    """The amount with the invoice's tax share added, for crediting a net charge."""
    if invoice.subtotal <= 0 or invoice.tax_total == 0 or invoice.lines[0].tax_inclusive:
        return net
    return round_money(net * invoice.total / invoice.subtotal)


def _of(session: Session, event: events.SubscriptionEvent) -> _Context:
    return _Context(session, event.tenant_id, event.subscription_id, event.occurred_at)


@on(events.SubscriptionActivated)
def on_activated(session: Session, event: events.SubscriptionActivated) -> None:
    ctx = _of(session, event)
    plan = ctx.sub.plan
    lines: list[LineInput] = []
    if plan.setup_fee > 0:
        lines.append(LineInput(kind=LineKind.SETUP_FEE, description=f"Setup: {plan.name}",
                               unit_price=plan.setup_fee, subscription_id=ctx.sub.id))
    new_period = None
    if ctx.prepaid:
        sched = ctx.schedule()
        period = sched.period_of(sched.activation)
        if ctx.billed(period) is None:
            used = period.clip(sched.activation, period.end)
            if used is not None:
                lines.append(period_line(ctx.sub.id, plan.name, plan.price, used, period))
                new_period = period
    if not lines:
        return
    invoice = ctx.bill(lines)
    if new_period is not None:
        session.add(BilledPeriod(tenant_id=ctx.tenant_id, subscription_id=ctx.sub.id,
                                 period_start=new_period.start, period_end=new_period.end,
                                 plan_id=plan.id, full_price=plan.price, invoice_id=invoice.id))
        session.flush()


@on(events.SubscriptionPlanChanged)
def on_plan_changed(session: Session, event: events.SubscriptionPlanChanged) -> None:
    """Credit the old plan and charge the new one from the change date to the end of each
    period billed past it (one period, or more for a backdated change)."""
    ctx = _of(session, event)
    if not ctx.prepaid or ctx.sub.status != "active":
        return
    parts = ctx.billed_from(ctx.day)
    if not parts:
        return
    old, new = catalogue.get_plan(session, ctx.tenant_id, event.old_plan_id), ctx.sub.plan
    charges = []
    for billed, remainder in parts:
        period = Period(billed.period_start, billed.period_end)
        ctx.credit(billed, proration.prorate(billed.full_price, remainder, period),
                   f"Unused {old.name}", remainder)
        charges.append(period_line(ctx.sub.id, new.name, new.price, remainder, period,
                                   kind=LineKind.PRORATION))
        billed.plan_id, billed.full_price = new.id, new.price
    ctx.bill(charges)
    session.flush()


@on(events.SubscriptionSuspended)
def on_suspended(session: Session, event: events.SubscriptionSuspended) -> None:
    ctx = _of(session, event)
    if not ctx.prepaid or ctx.settings.bill_suspended:
        return
    period = ctx.schedule().period_of(ctx.day)
    billed = ctx.billed(period)
    remainder = Period(ctx.day, period.end)
    if billed is not None and remainder.days > 0:
        ctx.credit(billed, proration.prorate(billed.full_price, remainder, period),
                   f"Suspended: {ctx.sub.plan.name}", remainder)


@on(events.SubscriptionRestored)
def on_restored(session: Session, event: events.SubscriptionRestored) -> None:
    ctx = _of(session, event)
    if not ctx.prepaid or ctx.settings.bill_suspended:
        return
    period = ctx.schedule().period_of(ctx.day)
    # A service moved in from another system is not billed here before its billing start.
    first = ctx.sub.billing_start_date or ctx.day
    remainder = Period(max(ctx.day, first), period.end)
    plan = ctx.sub.plan
    if remainder.days <= 0:
        return
    invoice = ctx.bill([period_line(ctx.sub.id, plan.name, plan.price, remainder, period,
                                    kind=LineKind.PRORATION, label=f"Restored: {plan.name}")])
    if ctx.billed(period) is None:
        session.add(BilledPeriod(tenant_id=ctx.tenant_id, subscription_id=ctx.sub.id,
                                 period_start=period.start, period_end=period.end,
                                 plan_id=plan.id, full_price=plan.price, invoice_id=invoice.id))
        session.flush()


def _termination_credits(ctx: _Context) -> list[tuple[BilledPeriod, Decimal, Period]]:
    """What a termination on ctx.day gives back: each billed period from that day on, the
    day itself included (it is the first day not used)."""
    if not ctx.prepaid or ctx.sub.activated_at is None:
        return []
    if ctx.sub.suspended_at is not None and not ctx.settings.bill_suspended:
        return []  # the suspension already credited the rest of the period
    return [(billed, proration.prorate(billed.full_price, unused,
                                       Period(billed.period_start, billed.period_end)), unused)
            for billed, unused in ctx.billed_from(ctx.day)]


def termination_credit(session: Session, tenant_id: uuid.UUID, subscription_id: uuid.UUID,
                       effective_at: datetime) -> Decimal:
    """What terminating the subscription at effective_at would give back (nothing is
    written): the preview a confirmation page shows."""
    ctx = _Context(session, tenant_id, subscription_id, effective_at)
    total = ZERO
    for billed, amount, _unused in _termination_credits(ctx):
        due = ctx.credit_due(billed, amount)
        total += due[1] if due is not None else ZERO
    return total


@on(events.SubscriptionTerminated)
def on_terminated(session: Session, event: events.SubscriptionTerminated) -> None:
    ctx = _of(session, event)
    for billed, amount, unused in _termination_credits(ctx):
        ctx.credit(billed, amount, f"Terminated: unused {ctx.sub.plan.name}", unused)
