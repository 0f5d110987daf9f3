"""Dunning: reminders, a final notice, late fees, suspension after the grace period (not on
configured weekdays or holidays), and restore with a reconnection fee once paid in full.
Each stage acts once per invoice (a unique row), so the daily job can run any number of
times."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, tuple_
from sqlalchemy.orm import Session

from dotmac_isp.jobs import history
from dotmac_isp.modules.billing import charging, invoices, setup
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
from dotmac_isp.shared.db import Database
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


def run_for_tenant(database: Database, tenant_id: uuid.UUID, today: date, *,
                   chunk_size: int = 500) -> Pass:
    """Mark overdue invoices, then dun them chunk by chunk, each chunk in a transaction of
    its own: a chunk that fails is rolled back and recorded, and the next one goes on."""
    with database.unit_of_work() as session:
        invoices.mark_overdue_for(session, tenant_id, today)
    outcome = Pass()
    cursor: tuple[date, uuid.UUID] | None = None
    while True:
        with database.unit_of_work(write=False) as session:
            keys = _next_keys(session, tenant_id, today, cursor, chunk_size)
        if not keys:
            return outcome
        cursor = keys[-1]
        try:
            with database.unit_of_work() as session:
                counts = dun_chunk(session, tenant_id, today, [k[1] for k in keys])
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
            outcome.failures.append(error)
            log.exception("a dunning chunk failed; the next chunk goes on",
                          extra={"tenant_id": str(tenant_id), "first": str(keys[0][1])})
            history.record_failure(database, "billing.dunning", tenant_id,
                                   f"{len(keys)} invoices from {keys[0][1]}: {error}")
            continue
        for key, value in counts.items():
            outcome.counts[key] += value


def _next_keys(session: Session, tenant_id: uuid.UUID, today: date,
               cursor: tuple[date, uuid.UUID] | None,
               size: int) -> list[tuple[date, uuid.UUID]]:
    stmt = (select(Invoice.due_date, Invoice.id)
            .where(Invoice.tenant_id == tenant_id, Invoice.status == "overdue",
                   Invoice.due_date < today)
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
    overdue = list(session.scalars(select(Invoice).where(
        Invoice.tenant_id == tenant_id, Invoice.id.in_(ids), Invoice.status == "overdue")
        .order_by(Invoice.due_date, Invoice.id)))
    exempt = set(session.scalars(select(BillingAccount.customer_id).where(
        BillingAccount.tenant_id == tenant_id, BillingAccount.dunning_exempt.is_(True),
        BillingAccount.customer_id.in_({i.customer_id for i in overdue}))))
    done: set[tuple[uuid.UUID, str]] = {
        (row[0], row[1]) for row in session.execute(
            select(DunningAction.invoice_id, DunningAction.stage)
            .where(DunningAction.invoice_id.in_(ids)))}
    taken: list[dict[str, Any]] = []
    notices: list[DunningNotice] = []

    def once(invoice: Invoice, stage: str, detail: str = "") -> bool:
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
        assert invoice.due_date is not None
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
    if taken:
        session.execute(insert(DunningAction), taken)
    for notice in notices:
        publish(session, notice)
    if notices:
        publish(session, DunningNoticesGiven(tenant_id=tenant_id, occurred_at=utcnow(),
                                             notices=tuple(notices)))
    return counts


def _notice(invoice: Invoice, stage: str, days: int) -> DunningNotice:
    return DunningNotice(tenant_id=invoice.tenant_id, occurred_at=utcnow(),
                         invoice_id=invoice.id, customer_id=invoice.customer_id,
                         stage=stage, days_overdue=days, balance_due=invoice.balance_due)


def _late_fee(session: Session, settings: BillingSettings, invoice: Invoice, days: int,
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


def _suspend(session: Session, invoice: Invoice) -> int:
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
