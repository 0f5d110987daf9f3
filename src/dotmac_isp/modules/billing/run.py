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
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import (
    charging,
    invoices,
    numbering,
    payments,
    setup,
    watermark,
)
from dotmac_isp.modules.billing import metrics as billing_metrics
from dotmac_isp.modules.billing.charging import local_date, period_line
from dotmac_isp.modules.billing.enums import BillingMode, DocumentKind, RunStatus
from dotmac_isp.modules.billing.events import InvoicesIssued
from dotmac_isp.modules.billing.invoices import LineInput
from dotmac_isp.modules.billing.models import (
    BilledPeriod,
    BillingAccount,
    BillingRun,
    BillingSettings,
    Invoice,
    InvoiceLine,
    Payment,
)
from dotmac_isp.modules.billing.proration import Period
from dotmac_isp.modules.billing.segments import History, billable_segments
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.identity import audit
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.services import catalogue
from dotmac_isp.modules.services import service as services
from dotmac_isp.modules.services.models import Plan
from dotmac_isp.modules.services.service import BillableRow
from dotmac_isp.shared import bulk
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.events import publish
from dotmac_isp.shared.types import utcnow

log = logging.getLogger(__name__)
ZERO = Decimal("0")
Due = list[tuple[Period, Decimal, list[LineInput]]]
Walk = tuple[Due, date, date]  # what is due, billed until, next due on


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
    started = time.perf_counter()
    try:
        totals = _bill_chunks(database, tenant_id, today, run_id, chunk_size, pause_seconds)
    except Exception as exc:
        billing_metrics.RUN_DURATION.labels("failed").observe(time.perf_counter() - started)
        # Chunks already committed stay billed; the run says where it stopped, and the next
        # run resumes (a period is billed once).
        with database.unit_of_work() as session:
            session.execute(update(BillingRun).where(BillingRun.id == run_id).values(
                status=RunStatus.FAILED, finished_at=utcnow(),
                errors=[{"error": f"{type(exc).__name__}: {exc}"[:500]}]))
        raise
    with database.unit_of_work() as session:
        held = _issue_held_drafts(session, tenant_id, today)
        totals.invoices_issued += held
        record = session.get(BillingRun, run_id)
        assert record is not None
        _complete(record, totals)
    billing_metrics.INVOICES_ISSUED.inc(held)
    billing_metrics.RUN_DURATION.labels("completed").observe(time.perf_counter() - started)
    return record


def _complete(record: BillingRun, totals: ChunkResult) -> None:
    """The run's record once every chunk is done: completed, with what it did."""
    record.status = RunStatus.COMPLETED.value
    record.subscriptions_seen, record.periods_billed = totals.seen, totals.periods
    record.invoices_created, record.invoices_issued = (totals.invoices_created,
                                                       totals.invoices_issued)
    record.errors = totals.errors[:500]
    record.finished_at = utcnow()


def run_in_session(session: Session, tenant_id: uuid.UUID, today: date, *,
                   chunk_size: int = 1000) -> BillingRun:
    """The same run inside the caller's transaction, all chunks in it: for seeding a history
    of past runs (the demo) where one transaction holds the whole story."""
    record = BillingRun(tenant_id=tenant_id, run_date=today)
    session.add(record)
    session.flush()
    totals = ChunkResult()
    cursor: uuid.UUID | None = None
    while True:
        result = _chunk(session, tenant_id, today, record.id, cursor, chunk_size)
        if result.seen == 0:
            break
        cursor = result.last_id
        for key in ("seen", "periods", "invoices_created", "invoices_issued"):
            setattr(totals, key, getattr(totals, key) + getattr(result, key))
        totals.errors.extend(result.errors)
    totals.invoices_issued += _issue_held_drafts(session, tenant_id, today)
    _complete(record, totals)
    session.flush()
    return record


def _bill_chunks(database: Database, tenant_id: uuid.UUID, today: date, run_id: uuid.UUID,
                 chunk_size: int, pause_seconds: float) -> ChunkResult:
    totals = ChunkResult()
    cursor: uuid.UUID | None = None
    while True:
        with database.unit_of_work() as session:
            result = _chunk(session, tenant_id, today, run_id, cursor, chunk_size)
        if result.seen == 0:
            return totals
        billing_metrics.PERIODS_BILLED.inc(result.periods)  # the chunk has committed
        billing_metrics.INVOICES_CREATED.inc(result.invoices_created)
        billing_metrics.INVOICES_ISSUED.inc(result.invoices_issued)
        billing_metrics.RUN_ERRORS.inc(len(result.errors))
        cursor = result.last_id
        for key in ("seen", "periods", "invoices_created", "invoices_issued"):
            setattr(totals, key, getattr(totals, key) + getattr(result, key))
        totals.errors.extend(result.errors)
        if pause_seconds:
            time.sleep(pause_seconds)


def _chunk(session: Session, tenant_id: uuid.UUID, today: date, run_id: uuid.UUID,
           cursor: uuid.UUID | None, size: int) -> ChunkResult:
    settings = setup.billing_settings(session, tenant_id, for_update=True)
    postpaid = settings.mode == BillingMode.POSTPAID
    statuses = ["active", "suspended", "terminated"] if postpaid else (
        ["active", "suspended"] if settings.bill_suspended else ["active"])
    subs = services.billable_subscriptions(session, tenant_id, statuses, after_id=cursor,
                                           due_on=today, limit=size)
    result = ChunkResult(seen=len(subs), last_id=subs[-1].id if subs else None)
    if not subs:
        return result
    ids = [s.id for s in subs]
    timezone = identity_service.get_tenant(session, tenant_id).timezone
    # Periods before a subscription's watermark are billed: read only the later ones.
    marked = [s.billed_until for s in subs]
    since = min(marked) if all(marked) else None  # type: ignore[type-var]
    billed: set[tuple[uuid.UUID, date]] = {(row[0], row[1]) for row in session.execute(
        select(BilledPeriod.subscription_id, BilledPeriod.period_start)
        .where(BilledPeriod.subscription_id.in_(ids),
               *([BilledPeriod.period_start >= since] if since else [])))}
    customers = customers_service.billing_facts(session, tenant_id,
                                                list({s.customer_id for s in subs}))
    accounts = {a.customer_id: a for a in session.scalars(select(BillingAccount).where(
        BillingAccount.tenant_id == tenant_id,
        BillingAccount.customer_id.in_(list(customers))))}
    plans = catalogue.plans_by_id(session, tenant_id)
    histories = _histories(session, tenant_id, subs, timezone) if postpaid else {}
    lines: dict[uuid.UUID, list[LineInput]] = defaultdict(list)
    rows: list[tuple[dict[str, Any], uuid.UUID]] = []
    marks: list[tuple[uuid.UUID, date, date]] = []
    for sub in subs:
        currency = customers[sub.customer_id][0]
        plan = plans[sub.plan_id]
        if plan.currency != currency:
            result.errors.append({"subscription": sub.radius_username, "error":
                                  f"plan is in {plan.currency}, customer in {currency}"})
            continue
        due, until, next_on = (
            _postpaid_lines(sub, plan, histories[sub.id], plans, settings, accounts, timezone,
                            today, billed) if postpaid else
            _prepaid_lines(sub, plan, settings, accounts, timezone, today, billed))
        marks.append((sub.id, until, next_on))
        for period, full_price, sub_lines in due:
            rows.append(({"id": uuid.uuid4(), "tenant_id": tenant_id, "subscription_id": sub.id,
                          "period_start": period.start, "period_end": period.end,
                          "plan_id": sub.plan_id, "full_price": full_price,
                          "billing_run_id": run_id, "created_at": utcnow()}, sub.customer_id))
            lines[sub.customer_id].extend(sub_lines)
    result.periods = len(rows)
    watermark.record(session, marks)
    _invoice(session, tenant_id, today, run_id, settings, customers, lines, rows, result)
    return result


def _prepaid_lines(sub: BillableRow, plan: Plan, settings: BillingSettings,
                   accounts: dict[uuid.UUID, BillingAccount], timezone: str, today: date,
                   billed: set[tuple[uuid.UUID, date]]) -> Walk:
    activation = local_date(sub.activated_at, timezone)
    sched = charging.schedule(activation, plan.billing_cycle, settings,
                              accounts.get(sub.customer_id))
    start = charging.billing_start(activation, sub.billing_start_date)
    due: Due = []
    if start > today:
        return due, start, start
    period = sched.period_of(max(start, sub.billed_until or start))
    while period.start <= today:
        if (sub.id, period.start) not in billed:
            used = period.clip(start, period.end)
            if used is not None:
                due.append((period, plan.price, [period_line(sub.id, plan.name, plan.price,
                                                             used, period)]))
        period = sched.period_of(period.end)
    return due, period.start, period.start


def _postpaid_lines(sub: BillableRow, plan: Plan, history: History,
                    plans: dict[uuid.UUID, Plan],
                    settings: BillingSettings, accounts: dict[uuid.UUID, BillingAccount],
                    timezone: str, today: date,
                    billed: set[tuple[uuid.UUID, date]]) -> Walk:
    activation = local_date(sub.activated_at, timezone)
    ended = local_date(sub.terminated_at, timezone) if sub.terminated_at else None
    sched = charging.schedule(activation, plan.billing_cycle, settings,
                              accounts.get(sub.customer_id))
    start = charging.billing_start(activation, sub.billing_start_date)
    due: Due = []
    period = sched.period_of(max(start, sub.billed_until or start))
    while period.start <= today:
        finished = period.end <= today or (ended is not None and ended <= today
                                           and period.contains(ended))
        if not finished:
            break
        if (sub.id, period.start) not in billed:
            sub_lines = []
            for seg in billable_segments(period, history, bill_suspended=settings.bill_suspended):
                used = seg.period.clip(start, ended or seg.period.end)
                if used is not None:
                    seg_plan = plans[seg.plan_id]
                    sub_lines.append(period_line(sub.id, seg_plan.name, seg_plan.price, used,
                                                 period))
            due.append((period, plan.price, sub_lines))
        if ended is not None and period.contains(ended):
            return due, period.end, watermark.NOTHING_DUE
        period = sched.period_of(period.end)
    # the period the walk stopped at is billed once it has run (or the service ended in it)
    ends = ended if ended is not None and period.contains(ended) else period.end
    return due, period.start, max(ends, period.start)


def _histories(session: Session, tenant_id: uuid.UUID, subs: list[BillableRow],
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
             settings: BillingSettings, customers: dict[uuid.UUID, tuple[str, bool]],
             lines: dict[uuid.UUID, list[LineInput]],
             rows: list[tuple[dict[str, Any], uuid.UUID]], result: ChunkResult) -> None:
    """Put the chunk's lines on invoices. A customer's open draft takes them through the ORM;
    new invoices (nearly all) go in with bulk inserts, issued at once when due."""
    taxed = setup.rates_for_tenant(session, tenant_id)
    customer_ids = [cid for cid, ls in lines.items() if ls]
    drafts = {inv.customer_id: inv for inv in session.scalars(
        select(Invoice).where(Invoice.tenant_id == tenant_id, Invoice.status == "draft",
                              Invoice.customer_id.in_(customer_ids)))} if customer_ids else {}
    invoice_of: dict[uuid.UUID, uuid.UUID] = {}
    existing: list[Invoice] = []
    fresh: list[dict[str, Any]] = []
    fresh_lines: list[dict[str, Any]] = []
    now = utcnow()
    for customer_id in customer_ids:
        currency, exempt = customers[customer_id]
        rates = [] if exempt else taxed
        draft = drafts.get(customer_id)
        if draft is not None:
            invoices.add_lines(session, draft, lines[customer_id], rates, settings, flush=False)
            existing.append(draft)
            invoice_of[customer_id] = draft.id
            continue
        invoice_id = uuid.uuid4()
        priced = [invoices.price_line(line, rates, settings.prices_include_tax)
                  for line in lines[customer_id]]
        fresh_lines.extend({"id": uuid.uuid4(), "tenant_id": tenant_id, "invoice_id": invoice_id,
                            "position": n, **line} for n, line in enumerate(priced))
        fresh.append({"id": invoice_id, "tenant_id": tenant_id, "customer_id": customer_id,
                      "currency": currency, "status": "draft", "billing_run_id": run_id,
                      "hold_until": today + timedelta(days=settings.review_days),
                      "amount_paid": ZERO, "amount_credited": ZERO, "notes": "",
                      "dunning_stage": 0, "created_at": now, "updated_at": now,
                      **invoices.totals(priced)})
        invoice_of[customer_id] = invoice_id
    due = [inv for inv in fresh if inv["hold_until"] <= today and inv["total"] >= 0
           and inv["total"] >= settings.min_invoice_amount]
    numbers = numbering.next_numbers(session, settings, DocumentKind.INVOICE, today, len(due)) \
        if due else []
    for inv, number in zip(due, numbers, strict=True):
        inv.update(number=number, status="issued", issue_date=today, issued_at=now,
                   due_date=today + timedelta(days=settings.payment_terms_days))
    if fresh:
        bulk.insert_rows(session, Invoice, fresh)
        bulk.insert_rows(session, InvoiceLine, fresh_lines)
        audit.record_bulk(session, "create", "invoices",
                          [(tenant_id, inv["id"], None, inv) for inv in fresh], label="Invoice")
    for row, customer_id in rows:
        row["invoice_id"] = invoice_of.get(customer_id)
    if rows:
        # The unique key on (subscription, period start) stops a second biller here.
        bulk.insert_rows(session, BilledPeriod, [row for row, _ in rows])
    session.flush()
    result.invoices_created += len(fresh)
    result.invoices_issued += len(due) + _issue_due(session, tenant_id, existing, today,
                                                    settings)
    credit = _customers_with_credit(session, tenant_id, [inv["customer_id"] for inv in due])
    for customer_id in credit:
        payments.apply_credit(session, tenant_id, customer_id, today)
    _announce(session, tenant_id, due)


def _announce(session: Session, tenant_id: uuid.UUID, issued: list[dict[str, Any]]) -> None:
    """One InvoicesIssued for the chunk: its emails are rendered and queued in bulk."""
    if issued:
        publish(session, InvoicesIssued(tenant_id=tenant_id, occurred_at=utcnow(),
                                        invoice_ids=tuple(inv["id"] for inv in issued)))


def _due(draft: Invoice, today: date, settings: BillingSettings) -> bool:
    if draft.hold_until is not None and draft.hold_until > today:
        return False
    return bool(draft.lines) and draft.total >= settings.min_invoice_amount and draft.total >= 0


def _issue_due(session: Session, tenant_id: uuid.UUID, drafts: list[Invoice], today: date,
               settings: BillingSettings) -> int:
    """Issue the drafts that are due, numbered in one go; then use any customer credit."""
    due = [d for d in drafts if _due(d, today, settings)]
    invoices.issue_many(session, due, today, settings)
    session.flush()
    for customer_id in _customers_with_credit(session, tenant_id,
                                              list({d.customer_id for d in due})):
        payments.apply_credit(session, tenant_id, customer_id, today)
    return len(due)


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
    drafts = list(session.scalars(select(Invoice).where(
        Invoice.tenant_id == tenant_id, Invoice.status == "draft",
        (Invoice.hold_until.is_(None)) | (Invoice.hold_until <= today))))
    return _issue_due(session, tenant_id, drafts, today, settings)
