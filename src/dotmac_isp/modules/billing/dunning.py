"""Dunning: reminders, a final notice, late fees, suspension after the grace period (not on
configured weekdays or holidays), and restore with a reconnection fee once paid in full.
Each stage acts once per invoice (a unique row), so the daily job can run any number of
times."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import charging, setup
from dotmac_isp.modules.billing.enums import LateFeeKind, LineKind
from dotmac_isp.modules.billing.events import DunningNotice
from dotmac_isp.modules.billing.invoices import LineInput
from dotmac_isp.modules.billing.models import BillingSettings, DunningAction, Invoice
from dotmac_isp.modules.services import lifecycle
from dotmac_isp.modules.services import service as services
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.shared.events import publish
from dotmac_isp.shared.money import round_money
from dotmac_isp.shared.types import utcnow

NONPAYMENT = "non-payment"


def _once(session: Session, invoice: Invoice, stage: str, detail: str) -> bool:
    """Record that a stage acted on an invoice; False if it already had."""
    exists = session.scalar(select(DunningAction.id).where(
        DunningAction.invoice_id == invoice.id, DunningAction.stage == stage))
    if exists is not None:
        return False
    try:
        with session.begin_nested():
            session.add(DunningAction(tenant_id=invoice.tenant_id, invoice_id=invoice.id,
                                      stage=stage, detail=detail[:500]))
    except IntegrityError:
        return False
    return True


def may_suspend_on(day: date, config: dict[str, Any]) -> bool:
    if day.weekday() in set(config.get("no_suspend_weekdays", [])):
        return False
    return day.isoformat() not in set(config.get("holidays", []))


def run_dunning(session: Session, tenant_id: uuid.UUID, today: date) -> dict[str, int]:
    """One pass over the tenant's overdue invoices."""
    settings = setup.billing_settings(session, tenant_id)
    config = settings.dunning or {}
    counts = {"reminders": 0, "final_notices": 0, "late_fees": 0, "suspended": 0}
    overdue = session.scalars(select(Invoice).where(
        Invoice.tenant_id == tenant_id, Invoice.status == "overdue",
        Invoice.due_date < today).order_by(Invoice.due_date)).all()
    for invoice in overdue:
        account = setup.account_for(session, tenant_id, invoice.customer_id)
        if account is not None and account.dunning_exempt:
            continue
        assert invoice.due_date is not None
        days = (today - invoice.due_date).days
        for reminder in sorted(config.get("reminder_days", [])):
            if days >= reminder and _once(session, invoice, f"reminder_{reminder}", ""):
                _notice(session, invoice, f"reminder_{reminder}", days)
                counts["reminders"] += 1
        final = config.get("final_notice_days")
        if final is not None and days >= final and _once(session, invoice, "final_notice", ""):
            _notice(session, invoice, "final_notice", days)
            counts["final_notices"] += 1
        if _late_fee(session, settings, invoice, days, today):
            counts["late_fees"] += 1
        grace = config.get("suspend_after_days")
        if grace is not None and days >= grace and may_suspend_on(today, config):
            counts["suspended"] += _suspend(session, invoice)
    return counts


def _notice(session: Session, invoice: Invoice, stage: str, days: int) -> None:
    publish(session, DunningNotice(tenant_id=invoice.tenant_id, occurred_at=utcnow(),
                                   invoice_id=invoice.id, customer_id=invoice.customer_id,
                                   stage=stage, days_overdue=days,
                                   balance_due=invoice.balance_due))


def _late_fee(session: Session, settings: BillingSettings, invoice: Invoice, days: int,
              today: date) -> bool:
    config = settings.dunning or {}
    kind = config.get("late_fee_kind", "none")
    if kind == LateFeeKind.NONE or days < int(config.get("late_fee_after_days", 0)):
        return False
    value = Decimal(str(config.get("late_fee_amount", "0")))
    fee = value if kind == LateFeeKind.FIXED else round_money(invoice.balance_due * value / 100)
    if fee <= 0 or not _once(session, invoice, "late_fee", f"{fee} {invoice.currency}"):
        return False
    charging.bill(session, invoice.tenant_id, invoice.customer_id, invoice.currency,
                  [LineInput(kind=LineKind.LATE_FEE,
                             description=f"Late fee: invoice {invoice.number}",
                             unit_price=fee)], today, settings)
    return True


def _suspend(session: Session, invoice: Invoice) -> int:
    if not _once(session, invoice, "suspension", ""):
        return 0
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
