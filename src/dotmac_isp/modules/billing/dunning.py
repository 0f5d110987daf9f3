"""Dunning: reminders, a final notice, late fees, suspension after the grace period (not on
configured weekdays or holidays), and restore with a reconnection fee once paid in full.
Each stage acts once per invoice (a unique row), so the daily job can run any number of
times."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from dotmac_isp.jobs import history
from dotmac_isp.modules.billing import charging, invoices, setup
from dotmac_isp.modules.billing import metrics as billing_metrics
from dotmac_isp.modules.billing.enums import LateFeeKind, LineKind
from dotmac_isp.modules.billing.events import DunningNotice, DunningNoticesGiven
from dotmac_isp.modules.billing.invoices import LineInput
from dotmac_isp.modules.billing.models import (
    BillingAccount,
    BillingSettings,
    DunningAction,
    Invoice,
)
from dotmac_isp.modules.services import lifecycle
from dotmac_isp.modules.services import service as services
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.shared import bulk
from dotmac_isp.shared.db import Database, after_commit
from dotmac_isp.shared.events import publish
from dotmac_isp.shared.money import round_money
from dotmac_isp.shared.types import utcnow

NONPAYMENT = "non-payment"
log = logging.getLogger(__name__)


def may_suspend_on(day: date, config: dict[str, Any]) -> bool:
    if day.weekday() in set(config.get("no_suspend_weekdays", [])):
        return False
    return day.isoformat() not in set(config.get("holidays", []))


@dataclass
class Pass:
    """What one dunning pass did, and the chunks that failed (rolled back, logged)."""

    counts: dict[str, int] = field(default_factory=lambda: {
        "reminders": 0, "final_notices": 0, "late_fees": 0, "suspended": 0})
    failures: list[str] = field(default_factory=list)


def first_stage_days(config: dict[str, Any]) -> int | None:
    """The fewest days overdue at which any configured stage acts (None: no stage at all)."""
    days = [int(d) for d in config.get("reminder_days", [])]
    days += [int(config[k]) for k in ("final_notice_days", "suspend_after_days")
             if config.get(k) is not None]
    if config.get("late_fee_kind", "none") != LateFeeKind.NONE:
        days.append(int(config.get("late_fee_after_days", 0)))
    return min(days, default=None)


def run_for_tenant(database: Database, tenant_id: uuid.UUID, today: date, *,
                   chunk_size: int = 1000, mark_chunk: int = 5000) -> Pass:
    """Mark overdue invoices, then dun them chunk by chunk, each chunk in a transaction of
    its own: a chunk that fails is rolled back and recorded, and the next one goes on.
    Overdue invoices too recent for any stage are not read."""
    while True:
        # in chunks too: a payment waits for one chunk's row locks, not for all of them
        with database.unit_of_work() as session:
            if not invoices.mark_overdue_for(session, tenant_id, today, limit=mark_chunk):
                first = first_stage_days(setup.billing_settings(session, tenant_id).dunning
                                         or {})
                break
    outcome = Pass()
    if first is None:
        return outcome
    latest_due = today - timedelta(days=first)
    cursor: tuple[date, uuid.UUID] | None = None
    while True:
        with database.unit_of_work(write=False) as session:
            keys = _next_keys(session, tenant_id, today, latest_due, cursor, chunk_size)
        if not keys:
            return outcome
        cursor = keys[-1]
        try:
            with database.unit_of_work() as session:
                counts = dun_chunk(session, tenant_id, today, [k[1] for k in keys])
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
            outcome.failures.append(error)
            billing_metrics.DUNNING_CHUNK_FAILURES.inc()
            log.exception("a dunning chunk failed; the next chunk goes on",
                          extra={"tenant_id": str(tenant_id), "first": str(keys[0][1])})
            history.record_failure(database, "billing.dunning", tenant_id,
                                   f"{len(keys)} invoices from {keys[0][1]}: {error}")
            continue
        for key, value in counts.items():
            outcome.counts[key] += value


def _next_keys(session: Session, tenant_id: uuid.UUID, today: date, latest_due: date,
               cursor: tuple[date, uuid.UUID] | None,
               size: int) -> list[tuple[date, uuid.UUID]]:
    # ix_invoices_due holds (tenant, status, due_date, id): each page is one range scan
    stmt = (select(Invoice.due_date, Invoice.id)
            .where(Invoice.tenant_id == tenant_id, Invoice.status == "overdue",
                   Invoice.due_date < today, Invoice.due_date <= latest_due)
            .order_by(Invoice.due_date, Invoice.id).limit(size))
    if cursor is not None:
        stmt = stmt.where(tuple_(Invoice.due_date, Invoice.id) > tuple_(*cursor))
    return [(row[0], row[1]) for row in session.execute(stmt) if row[0] is not None]


def run_dunning(session: Session, tenant_id: uuid.UUID, today: date) -> dict[str, int]:
    """One pass over the tenant's overdue invoices in the caller's transaction."""
    ids = list(session.scalars(select(Invoice.id).where(
        Invoice.tenant_id == tenant_id, Invoice.status == "overdue",
        Invoice.due_date < today).order_by(Invoice.due_date, Invoice.id)))
    return dun_chunk(session, tenant_id, today, ids)


@dataclass(frozen=True)
class Overdue:
    """The columns of an overdue invoice that dunning reads (no lines, no ORM object)."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    customer_id: uuid.UUID
    number: str
    currency: str
    due_date: date
    total: Decimal
    amount_paid: Decimal
    amount_credited: Decimal

    @property
    def balance_due(self) -> Decimal:
        return self.total - self.amount_paid - self.amount_credited


_OVERDUE_COLUMNS = (Invoice.id, Invoice.tenant_id, Invoice.customer_id, Invoice.number,
                    Invoice.currency, Invoice.due_date, Invoice.total, Invoice.amount_paid,
                    Invoice.amount_credited)


def _overdue(session: Session, tenant_id: uuid.UUID, ids: list[uuid.UUID]) -> list[Overdue]:
    # by primary key alone, tenant and status checked here: just after invoices were marked
    # overdue the statistics still say few are, and a status index would be walked per chunk
    rows: list[Any] = list(session.execute(select(*_OVERDUE_COLUMNS, Invoice.status)
                                           .where(Invoice.id.in_(ids))))
    found = [Overdue(*row[:-1]) for row in rows if row.tenant_id == tenant_id
             and row.status == "overdue" and row.due_date is not None]
    return sorted(found, key=lambda i: (i.due_date, i.id))


def dun_chunk(session: Session, tenant_id: uuid.UUID, today: date,
              ids: list[uuid.UUID]) -> dict[str, int]:
    """Dun these overdue invoices: the invoices, their customers' accounts and the stages
    already taken are read once; new stages go in with one INSERT."""
    counts = {"reminders": 0, "final_notices": 0, "late_fees": 0, "suspended": 0}
    if not ids:
        return counts
    # the settings row lock makes two passes over one tenant take turns
    settings = setup.billing_settings(session, tenant_id, for_update=True)
    config = settings.dunning or {}
    overdue = _overdue(session, tenant_id, ids)
    exempt = set(session.scalars(select(BillingAccount.customer_id).where(
        BillingAccount.tenant_id == tenant_id, BillingAccount.dunning_exempt.is_(True),
        BillingAccount.customer_id.in_({i.customer_id for i in overdue}))))
    done: set[tuple[uuid.UUID, str]] = {
        (row[0], row[1]) for row in session.execute(
            select(DunningAction.invoice_id, DunningAction.stage)
            .where(DunningAction.invoice_id.in_(ids)))}
    taken: list[dict[str, Any]] = []
    notices: list[DunningNotice] = []

    def once(invoice: Overdue, stage: str, detail: str = "") -> bool:
        if (invoice.id, stage) in done:
            return False
        done.add((invoice.id, stage))
        taken.append({"id": uuid.uuid4(), "tenant_id": tenant_id, "invoice_id": invoice.id,
                      "stage": stage, "detail": detail[:500], "created_at": utcnow()})
        return True

    grace = config.get("suspend_after_days")
    final = config.get("final_notice_days")
    for invoice in overdue:
        if invoice.customer_id in exempt:
            continue
        days = (today - invoice.due_date).days
        for reminder in sorted(config.get("reminder_days", [])):
            if days >= reminder and once(invoice, f"reminder_{reminder}"):
                notices.append(_notice(invoice, f"reminder_{reminder}", days))
                counts["reminders"] += 1
        if final is not None and days >= final and once(invoice, "final_notice"):
            notices.append(_notice(invoice, "final_notice", days))
            counts["final_notices"] += 1
        if _late_fee(session, settings, invoice, days, today, once):
            counts["late_fees"] += 1
        if grace is not None and days >= grace and may_suspend_on(today, config) and \
                once(invoice, "suspension"):
            counts["suspended"] += _suspend(session, invoice)
    bulk.insert_rows(session, DunningAction, taken)
    for notice in notices:
        publish(session, notice)
    if notices:
        publish(session, DunningNoticesGiven(tenant_id=tenant_id, occurred_at=utcnow(),
                                             notices=tuple(notices)))
    after_commit(session, lambda: billing_metrics.count_dunning(counts))
    return counts


def _notice(invoice: Overdue, stage: str, days: int) -> DunningNotice:
    return DunningNotice(tenant_id=invoice.tenant_id, occurred_at=utcnow(),
                         invoice_id=invoice.id, customer_id=invoice.customer_id,
                         stage=stage, days_overdue=days, balance_due=invoice.balance_due)


def _late_fee(session: Session, settings: BillingSettings, invoice: Overdue, days: int,
              today: date, once: Callable[..., bool]) -> bool:
    config = settings.dunning or {}
    kind = config.get("late_fee_kind", "none")
    if kind == LateFeeKind.NONE or days < int(config.get("late_fee_after_days", 0)):
        return False
    value = Decimal(str(config.get("late_fee_amount", "0")))
    fee = value if kind == LateFeeKind.FIXED else round_money(invoice.balance_due * value / 100)
    if fee <= 0 or not once(invoice, "late_fee", f"{fee} {invoice.currency}"):
        return False
    charging.bill(session, invoice.tenant_id, invoice.customer_id, invoice.currency,
                  [LineInput(kind=LineKind.LATE_FEE,
                             description=f"Late fee: invoice {invoice.number}",
                             unit_price=fee)], today, settings)
    return True


def _suspend(session: Session, invoice: Overdue) -> int:
    count = 0
    for sub in services.subscriptions_of_customer(session, invoice.tenant_id,
                                                  invoice.customer_id, ["active"]):
        lifecycle.transition(session, invoice.tenant_id, sub.id, SubscriptionStatus.SUSPENDED,
                             reason=f"{NONPAYMENT}: invoice {invoice.number} overdue",
                             notify=True)
        count += 1
    return count


def restore_if_paid(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID,
                    today: date) -> int:
    """Once nothing is overdue, restore what dunning suspended and bill the reconnection."""
    still_overdue = session.scalar(select(Invoice.id).where(
        Invoice.tenant_id == tenant_id, Invoice.customer_id == customer_id,
        Invoice.status == "overdue").limit(1))
    if still_overdue is not None:
        return 0
    suspended = [s for s in services.subscriptions_of_customer(
        session, tenant_id, customer_id, ["suspended"]) if s.suspend_reason.startswith(NONPAYMENT)]
    if not suspended:
        return 0
    for sub in suspended:
        lifecycle.transition(session, tenant_id, sub.id, SubscriptionStatus.ACTIVE,
                             reason="paid in full", notify=True)
    settings = setup.billing_settings(session, tenant_id)
    fee = Decimal(str((settings.dunning or {}).get("reconnection_fee", "0")))
    if fee > 0:
        charging.bill(session, tenant_id, customer_id, suspended[0].plan.currency,
                      [LineInput(kind=LineKind.RECONNECTION_FEE, description="Reconnection fee",
                                 unit_price=fee)], today, settings)
    return len(suspended)
