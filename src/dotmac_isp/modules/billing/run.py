"""The recurring billing run: idempotent (a subscription-period is billed once, by a unique
key), resumable (chunks commit one by one), and safe when two runs meet (each chunk holds the
tenant's billing-settings row lock)."""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import charging, invoices, payments, setup
from dotmac_isp.modules.billing.charging import local_date, period_line
from dotmac_isp.modules.billing.enums import BillingMode, RunStatus
from dotmac_isp.modules.billing.invoices import LineInput
from dotmac_isp.modules.billing.models import (
    BilledPeriod,
    BillingAccount,
    BillingRun,
    BillingSettings,
    Invoice,
    Payment,
)
from dotmac_isp.modules.billing.proration import Period
from dotmac_isp.modules.billing.segments import History, billable_segments
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.services import catalogue
from dotmac_isp.modules.services import service as services
from dotmac_isp.modules.services.models import Plan, Subscription
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.types import utcnow

log = logging.getLogger(__name__)
Due = list[tuple[Period, Decimal, list[LineInput]]]


@dataclass
class ChunkResult:
    seen: int = 0
    periods: int = 0
    invoices_created: int = 0
    invoices_issued: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)
    last_id: uuid.UUID | None = None


def run(database: Database, tenant_id: uuid.UUID, today: date, *, chunk_size: int = 1000,
        pause_seconds: float = 0.0) -> BillingRun:
    """Bill every due subscription-period of a tenant up to `today`, then issue due drafts."""
    with database.unit_of_work() as session:
        # A run that died half-way left its row 'running'; say so, its work is kept.
        session.execute(update(BillingRun).where(BillingRun.tenant_id == tenant_id,
                                                 BillingRun.status == RunStatus.RUNNING)
                        .values(status=RunStatus.FAILED, finished_at=utcnow(),
                                errors=[{"error": "interrupted; a later run resumed it"}]))
        record = BillingRun(tenant_id=tenant_id, run_date=today)
        session.add(record)
        session.flush()
        run_id = record.id
    totals = ChunkResult()
    cursor: uuid.UUID | None = None
    while True:
        with database.unit_of_work() as session:
            result = _chunk(session, tenant_id, today, run_id, cursor, chunk_size)
        if result.seen == 0:
            break
        cursor = result.last_id
        for key in ("seen", "periods", "invoices_created", "invoices_issued"):
            setattr(totals, key, getattr(totals, key) + getattr(result, key))
        totals.errors.extend(result.errors)
        if pause_seconds:
            time.sleep(pause_seconds)
    with database.unit_of_work() as session:
        totals.invoices_issued += _issue_held_drafts(session, tenant_id, today)
        record = session.get(BillingRun, run_id)
        assert record is not None
        record.status = RunStatus.COMPLETED.value
        record.subscriptions_seen, record.periods_billed = totals.seen, totals.periods
        record.invoices_created, record.invoices_issued = (totals.invoices_created,
                                                           totals.invoices_issued)
        record.errors = totals.errors[:500]
        record.finished_at = utcnow()
    return record


def _chunk(session: Session, tenant_id: uuid.UUID, today: date, run_id: uuid.UUID,
           cursor: uuid.UUID | None, size: int) -> ChunkResult:
    settings = setup.billing_settings(session, tenant_id, for_update=True)
    postpaid = settings.mode == BillingMode.POSTPAID
    statuses = ["active", "suspended", "terminated"] if postpaid else (
        ["active", "suspended"] if settings.bill_suspended else ["active"])
    subs = services.billable_subscriptions(session, tenant_id, statuses, after_id=cursor,
                                           limit=size)
    result = ChunkResult(seen=len(subs), last_id=subs[-1].id if subs else None)
    if not subs:
        return result
    ids = [s.id for s in subs]
    timezone = identity_service.get_tenant(session, tenant_id).timezone
    billed = {(b.subscription_id, b.period_start) for b in session.scalars(
        select(BilledPeriod).where(BilledPeriod.subscription_id.in_(ids)))}
    customers = customers_service.customers_by_id(session, tenant_id,
                                                  list({s.customer_id for s in subs}))
    accounts = {a.customer_id: a for a in session.scalars(select(BillingAccount).where(
        BillingAccount.tenant_id == tenant_id,
        BillingAccount.customer_id.in_(list(customers))))}
    plans = catalogue.plans_by_id(session, tenant_id)
    histories = _histories(session, tenant_id, subs, timezone) if postpaid else {}
    lines: dict[uuid.UUID, list[LineInput]] = defaultdict(list)
    rows: list[tuple[BilledPeriod, uuid.UUID]] = []
    for sub in subs:
        customer = customers[sub.customer_id]
        if sub.plan.currency != customer.currency:
            result.errors.append({"subscription": sub.radius_username, "error":
                                  f"plan is in {sub.plan.currency}, customer in "
                                  f"{customer.currency}"})
            continue
        due = (_postpaid_lines(sub, histories[sub.id], plans, settings, accounts, timezone,
                               today, billed) if postpaid else
               _prepaid_lines(sub, settings, accounts, timezone, today, billed))
        for period, full_price, sub_lines in due:
            rows.append((BilledPeriod(tenant_id=tenant_id, subscription_id=sub.id,
                                      period_start=period.start, period_end=period.end,
                                      plan_id=sub.plan_id, full_price=full_price,
                                      billing_run_id=run_id), sub.customer_id))
            lines[sub.customer_id].extend(sub_lines)
    result.periods = len(rows)
    _invoice(session, tenant_id, today, run_id, settings, customers, lines, rows, result)
    return result


def _prepaid_lines(sub: Subscription, settings: BillingSettings,
                   accounts: dict[uuid.UUID, BillingAccount], timezone: str, today: date,
                   billed: set[tuple[uuid.UUID, date]]) -> Due:
    activation = local_date(sub.activated_at, timezone)  # type: ignore[arg-type]
    plan = sub.plan
    sched = charging.schedule(activation, plan.billing_cycle, settings,
                              accounts.get(sub.customer_id))
    due: Due = []
    period = sched.period_of(activation)
    while period.start <= today:
        if (sub.id, period.start) not in billed:
            used = period.clip(activation, period.end)
            if used is not None:
                due.append((period, plan.price, [period_line(sub.id, plan.name, plan.price,
                                                             used, period)]))
        period = sched.period_of(period.end)
    return due


def _postpaid_lines(sub: Subscription, history: History, plans: dict[uuid.UUID, Plan],
                    settings: BillingSettings, accounts: dict[uuid.UUID, BillingAccount],
                    timezone: str, today: date,
                    billed: set[tuple[uuid.UUID, date]]) -> Due:
    activation = local_date(sub.activated_at, timezone)  # type: ignore[arg-type]
    ended = local_date(sub.terminated_at, timezone) if sub.terminated_at else None
    sched = charging.schedule(activation, sub.plan.billing_cycle, settings,
                              accounts.get(sub.customer_id))
    due: Due = []
    period = sched.period_of(activation)
    while period.start <= today:
        finished = period.end <= today or (ended is not None and ended <= today
                                           and period.contains(ended))
        if not finished:
            break
        if (sub.id, period.start) not in billed:
            sub_lines = []
            for seg in billable_segments(period, history, bill_suspended=settings.bill_suspended):
                used = seg.period.clip(activation, ended or seg.period.end)
                if used is not None:
                    plan = plans[seg.plan_id]
                    sub_lines.append(period_line(sub.id, plan.name, plan.price, used, period))
            due.append((period, sub.plan.price, sub_lines))
        if ended is not None and period.contains(ended):
            break
        period = sched.period_of(period.end)
    return due


def _histories(session: Session, tenant_id: uuid.UUID, subs: list[Subscription],
               timezone: str) -> dict[uuid.UUID, History]:
    ids = [s.id for s in subs]
    statuses: dict[uuid.UUID, list[tuple[date, str]]] = defaultdict(list)
    for change in services.status_changes_for(session, tenant_id, ids):
        statuses[change.subscription_id].append((local_date(change.effective_at, timezone),
                                                 change.to_status))
    plan_moves: dict[uuid.UUID, list[tuple[date, uuid.UUID, uuid.UUID]]] = defaultdict(list)
    for move in services.plan_changes_for(session, tenant_id, ids):
        plan_moves[move.subscription_id].append((local_date(move.effective_at, timezone),
                                                 move.old_plan_id, move.new_plan_id))
    return {s.id: History(statuses[s.id], plan_moves[s.id], s.plan_id) for s in subs}


def _invoice(session: Session, tenant_id: uuid.UUID, today: date, run_id: uuid.UUID,
             settings: BillingSettings, customers: dict[uuid.UUID, Customer],
             lines: dict[uuid.UUID, list[LineInput]],
             rows: list[tuple[BilledPeriod, uuid.UUID]], result: ChunkResult) -> None:
    session.add_all([row for row, _ in rows])
    session.flush()  # the unique key on billed periods stops a second biller here
    taxed = setup.rates_for_tenant(session, tenant_id)
    customer_ids = [cid for cid, ls in lines.items() if ls]
    drafts = {inv.customer_id: inv for inv in session.scalars(
        select(Invoice).where(Invoice.tenant_id == tenant_id, Invoice.status == "draft",
                              Invoice.customer_id.in_(customer_ids)))} if customer_ids else {}
    touched: dict[uuid.UUID, Invoice] = {}
    for customer_id in customer_ids:
        customer = customers[customer_id]
        draft = drafts.get(customer_id)
        if draft is None:
            draft = Invoice(tenant_id=tenant_id, customer_id=customer_id,
                            currency=customer.currency, status="draft", billing_run_id=run_id,
                            hold_until=today + timedelta(days=settings.review_days))
            session.add(draft)
            result.invoices_created += 1
        rates = [] if customer.tax_exempt else taxed
        invoices.add_lines(session, draft, lines[customer_id], rates, settings, flush=False)
        touched[customer_id] = draft
    session.flush()
    for row, customer_id in rows:
        if customer_id in touched:
            row.invoice_id = touched[customer_id].id
    credit_holders = _customers_with_credit(session, tenant_id, customer_ids)
    for draft in touched.values():
        if _issue_if_due(session, draft, today, settings, draft.customer_id in credit_holders):
            result.invoices_issued += 1
    session.flush()


def _issue_if_due(session: Session, draft: Invoice, today: date, settings: BillingSettings,
                  has_credit: bool) -> bool:
    if draft.hold_until is not None and draft.hold_until > today:
        return False
    if not draft.lines or draft.total < settings.min_invoice_amount or draft.total < 0:
        return False
    invoices.issue(session, draft, today, settings)
    if has_credit:
        session.flush()
        payments.apply_credit(session, draft.tenant_id, draft.customer_id, today)
    return True


def _customers_with_credit(session: Session, tenant_id: uuid.UUID,
                           customer_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    if not customer_ids:
        return set()
    return set(session.scalars(select(Payment.customer_id).where(
        Payment.tenant_id == tenant_id, Payment.customer_id.in_(customer_ids),
        Payment.amount > Payment.amount_allocated + Payment.amount_refunded)))


def _issue_held_drafts(session: Session, tenant_id: uuid.UUID, today: date) -> int:
    """Drafts whose review window has now passed (from earlier runs or lifecycle events)."""
    settings = setup.billing_settings(session, tenant_id, for_update=True)
    drafts = session.scalars(select(Invoice).where(
        Invoice.tenant_id == tenant_id, Invoice.status == "draft",
        (Invoice.hold_until.is_(None)) | (Invoice.hold_until <= today))).all()
    ids = list({d.customer_id for d in drafts})
    credit = _customers_with_credit(session, tenant_id, ids)
    issued = sum(1 for d in drafts if _issue_if_due(session, d, today, settings,
                                                    d.customer_id in credit))
    session.flush()
    return issued
