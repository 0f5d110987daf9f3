"""Months of demo billing history: an invoice per customer per past month, issued on its own
date, and payments for most of them through billing's invoice and payment services (numbers,
allocations, statuses and the ledger as a real history would leave them). Subscribers
suspended for an unpaid invoice and a few others leave invoices overdue, so the revenue chart
shows real months and the aging report has something in its buckets.

These are history, not news: no invoice or receipt emails are queued for them."""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import invoices, payments, setup
from dotmac_isp.modules.billing import service as billing
from dotmac_isp.modules.billing.enums import LineKind, PaymentMethod
from dotmac_isp.modules.billing.invoices import LineInput
from dotmac_isp.modules.billing.models import Invoice
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.reports.periods import add_months
from dotmac_isp.modules.services import service as services
from dotmac_isp.modules.services.models import Plan

MONTHS = 6
BILLED_CUSTOMERS = 80  # enough for the charts; every invoice costs a few statements
LATE_PAYERS = 0.06  # share of customers who have not paid last month's invoice
PART_PAYERS = 0.04  # share who paid part of it


def seed_invoices(session: Session, tenant: Tenant, created: list[str]) -> None:
    """Past months' invoices and payments (skipped if any invoice predates this month)."""
    today = billing.tenant_today(session, tenant.id)
    month_start = today.replace(day=1)
    if session.scalar(select(Invoice.id).where(Invoice.tenant_id == tenant.id,
                                               Invoice.issue_date < month_start)
                      .limit(1)) is not None:
        return
    subs = services.billable_subscriptions(session, tenant.id, ["active", "suspended"])
    plans = {p.id: p for p in session.scalars(select(Plan).where(Plan.tenant_id == tenant.id,
                                                                 Plan.billing_cycle == "monthly"))}
    by_customer: dict[uuid.UUID, list[services.BillableRow]] = defaultdict(list)
    for sub in subs:
        if sub.plan_id in plans:
            by_customer[sub.customer_id].append(sub)
    customers = sorted(by_customer, key=str)[:BILLED_CUSTOMERS]
    if not customers:
        return
    rng = random.Random(20261219)
    settings = setup.billing_settings(session, tenant.id)
    months = [add_months(month_start, -n) for n in range(MONTHS, 0, -1)]
    issued: dict[uuid.UUID, list[Invoice]] = defaultdict(list)
    for month in months:
        last_day = add_months(month, 1) - timedelta(days=1)
        drafts = []
        for customer_id in customers:
            draft = invoices.new_draft(session, tenant.id, customer_id)
            invoices.add_lines(session, draft, [
                LineInput(kind=LineKind.SUBSCRIPTION, unit_price=plans[s.plan_id].price,
                          description=f"{plans[s.plan_id].name} {month:%B %Y}",
                          subscription_id=s.id, period_start=month, period_end=last_day)
                for s in by_customer[customer_id]], settings=settings, flush=False)
            drafts.append(draft)
            issued[customer_id].append(draft)
        session.flush()
        invoices.issue_many(session, drafts, month, settings)
    session.flush()
    paid = _pay(session, tenant, today, issued, by_customer, rng)
    overdue = invoices.mark_overdue_for(session, tenant.id, today)
    session.flush()
    created.append(f"{sum(map(len, issued.values()))} invoices over {MONTHS} months, "
                   f"{paid} payments, {overdue} overdue")


def _pay(session: Session, tenant: Tenant, today: date,
         issued: dict[uuid.UUID, list[Invoice]],
         by_customer: dict[uuid.UUID, list[services.BillableRow]], rng: random.Random) -> int:
    """Record the payments, oldest first, so payment numbers run with their dates."""
    planned: list[tuple[date, uuid.UUID, Invoice, Decimal]] = []
    for customer_id, bills in issued.items():
        suspended = any(s.status == "suspended" for s in by_customer[customer_id])
        luck = rng.random()
        for n, invoice in enumerate(bills):
            last = n == len(bills) - 1
            if suspended and n >= len(bills) - 2:
                continue  # why the subscriber was suspended
            if last and luck < LATE_PAYERS:
                continue
            amount = invoice.balance_due
            if last and luck < LATE_PAYERS + PART_PAYERS:
                amount = (amount / 2).quantize(Decimal("0.01"))
            assert invoice.issue_date is not None
            on = min(invoice.issue_date + timedelta(days=rng.randint(0, 20)),
                     today - timedelta(days=1))
            planned.append((on, customer_id, invoice, amount))
    planned.sort(key=lambda p: (p[0], str(p[1])))
    for i, (on, customer_id, invoice, amount) in enumerate(planned):
        method = PaymentMethod.BANK_TRANSFER if i % 3 else PaymentMethod.CASH
        payments.record(session, tenant.id, payments.PaymentInput(
            customer_id=customer_id, method=method, amount=amount, currency=invoice.currency,
            received_on=on, reference=f"NIP{on:%y%m%d}{i:05d}" if method != "cash" else "",
            invoice_ids=[invoice.id]))
    return len(planned)
