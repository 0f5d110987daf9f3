"""Months of demo history, made the way a real ISP's is: each subscription's story (activated
some months ago, suspended lately, churned) is played in date order through the subscription
lifecycle, and the recurring billing run runs on the first of every month in between. So the
invoices are the billing run's own (first prorated invoice and setup fee on activation, then a
period a month, credit for unused time on churn, VAT on each), issued on their past dates.
Payments go through billing's payment service: most invoices paid within a few weeks, some
late or part paid, and the subscribers suspended for an unpaid invoice have not paid theirs.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.demo_business import Step
from dotmac_isp.modules.billing import invoices, payments, setup
from dotmac_isp.modules.billing import run as billing_run
from dotmac_isp.modules.billing import service as billing
from dotmac_isp.modules.billing.enums import PaymentMethod
from dotmac_isp.modules.billing.models import Invoice
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.reports.periods import add_months
from dotmac_isp.modules.services import lifecycle
from dotmac_isp.modules.services import service as services
from dotmac_isp.modules.services.enums import SubscriptionStatus as S
from dotmac_isp.shared.types import utcnow

VAT = ("VAT", Decimal("7.5"))
LATE_PAYERS = 0.06  # share of customers who have not paid their last invoice
PART_PAYERS = 0.04  # share who paid part of it
PAID_SO_FAR = 0.5  # share of this month's invoices, not yet due, paid already
PAYS_MONTHLY = 0.4  # the others settle two or three invoices at a time
UNPAID_BEFORE_SUSPENSION = timedelta(days=40)
Planned = tuple[date, uuid.UUID, list[Invoice], Decimal]


def play_history(session: Session, tenant: Tenant, steps: list[Step],
                 created: list[str]) -> None:
    """Play the subscriptions' stories with a billing run on each first of the month, then
    record the payments and mark what is past due (nothing to do without steps)."""
    if not steps:
        return
    today = billing.tenant_today(session, tenant.id)
    _vat(session, tenant)
    zone = ZoneInfo(tenant.timezone)
    latest = utcnow() - timedelta(minutes=5)
    # stable: a subscription's own steps of one day keep their order
    ordered = sorted(enumerate(steps), key=lambda pair: (pair[1].day, pair[0]))
    next_run = add_months(ordered[0][1].day, 1)
    runs = 0
    for _n, step in ordered:
        while next_run <= step.day:
            billing_run.run_in_session(session, tenant.id, next_run)
            next_run, runs = add_months(next_run, 1), runs + 1
        at = min(datetime.combine(step.day, time(10), zone), latest)
        lifecycle.transition(session, tenant.id, step.subscription_id, step.target,
                             reason=step.reason, effective_at=at)
    while next_run <= today:
        billing_run.run_in_session(session, tenant.id, next_run)
        next_run, runs = add_months(next_run, 1), runs + 1
    suspended = {s.subscription_id: s.day for s in steps if s.target == S.SUSPENDED}
    paid = _pay(session, tenant, today, _suspended_customers(session, tenant, suspended))
    invoices.mark_overdue_for(session, tenant.id, today)
    session.flush()
    statuses = [s for s in session.scalars(select(Invoice.status).where(
        Invoice.tenant_id == tenant.id, Invoice.number.is_not(None)))]
    created.append(f"{len(statuses)} invoices from {runs} monthly billing runs and "
                   f"activations, {paid} payments, {statuses.count('overdue')} overdue")


def _vat(session: Session, tenant: Tenant) -> None:
    rate = setup.create_tax_rate(session, tenant.id, *VAT)
    setup.update_settings(session, tenant.id, {"default_tax_rate_ids": [str(rate.id)]})


def _suspended_customers(session: Session, tenant: Tenant,
                         suspended: dict[uuid.UUID, date]) -> dict[uuid.UUID, date]:
    """The customers suspended for not paying, with the day their service was suspended."""
    found: dict[uuid.UUID, date] = {}
    for sub in services.billable_subscriptions(session, tenant.id, ["suspended"], limit=10_000):
        if sub.id in suspended:
            found[sub.customer_id] = min(found.get(sub.customer_id, date.max),
                                         suspended[sub.id])
    return found


def _pay(session: Session, tenant: Tenant, today: date,
         suspended: dict[uuid.UUID, date]) -> int:
    """Pay the issued invoices as the customers would have (each on its own, or a few at a
    time), oldest first, so payment numbers run with their dates. Of the invoices already
    due, only the late payers' and the suspended subscribers' are left unpaid."""
    rng = random.Random(20261219)
    bills: dict[uuid.UUID, list[Invoice]] = defaultdict(list)
    for invoice in session.scalars(select(Invoice).where(
            Invoice.tenant_id == tenant.id, Invoice.number.is_not(None),
            Invoice.issue_date < today).order_by(Invoice.issue_date, Invoice.number)):
        if invoice.balance_due > 0:
            bills[invoice.customer_id].append(invoice)
    planned: list[Planned] = []
    for customer_id in sorted(bills, key=str):
        luck, batch = rng.random(), 1 if rng.random() < PAYS_MONTHLY else rng.randint(2, 3)
        owed = bills[customer_id]
        waiting: list[Invoice] = []
        for n, invoice in enumerate(owed):
            assert invoice.issue_date is not None and invoice.due_date is not None
            last, past_due = n == len(owed) - 1, invoice.due_date < today
            # what is left open is past due (overdue) or this month's (not due yet)
            may_wait = past_due or invoice.issue_date >= today.replace(day=1)
            stopped = customer_id in suspended and \
                invoice.issue_date >= suspended[customer_id] - UNPAID_BEFORE_SUSPENSION
            if may_wait and (stopped or (last and luck < LATE_PAYERS)):
                continue  # why the subscriber was suspended, or simply late
            if may_wait and not past_due and rng.random() > PAID_SO_FAR:
                continue  # not due yet: paid in the coming days
            waiting.append(invoice)
            if len(waiting) < batch and not last:
                continue
            part = past_due and last and luck < LATE_PAYERS + PART_PAYERS
            planned.append(_payment(rng, today, customer_id, waiting, part))
            waiting = []
        if waiting:
            planned.append(_payment(rng, today, customer_id, waiting, False))
    planned.sort(key=lambda p: (p[0], str(p[1])))
    for i, (on, customer_id, settled, amount) in enumerate(planned):
        method = PaymentMethod.BANK_TRANSFER if i % 3 else PaymentMethod.CASH
        payments.record(session, tenant.id, payments.PaymentInput(
            customer_id=customer_id, method=method, amount=amount, currency=settled[0].currency,
            received_on=on, reference=f"NIP{on:%y%m%d}{i:05d}" if method != "cash" else "",
            invoice_ids=[i.id for i in settled]))
    return len(planned)


def _payment(rng: random.Random, today: date, customer_id: uuid.UUID, settled: list[Invoice],
             part: bool) -> Planned:
    """One payment settling the invoices (half of them for a part payer), a few days after
    the last of them was issued."""
    amount = sum((i.balance_due for i in settled), Decimal("0"))
    if part:
        amount = (amount / 2).quantize(Decimal("0.01"))
    issued = settled[-1].issue_date
    assert issued is not None
    on = min(issued + timedelta(days=rng.randint(0, 20)), today - timedelta(days=1))
    return on, customer_id, list(settled), amount
