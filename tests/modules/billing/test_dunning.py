"""Dunning from reminder to suspension, and restore on payment (hand-computed dates)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing import dunning, invoices, service, setup
from dotmac_isp.modules.billing.enums import PaymentMethod
from dotmac_isp.modules.billing.events import DunningNotice
from dotmac_isp.modules.billing.payments import PaymentInput
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.shared.events import _handlers, subscribe
from tests.modules.billing.helpers import world

D = Decimal
CONFIG = {"reminder_days": [3], "final_notice_days": 10, "suspend_after_days": 14,
          "late_fee_kind": "fixed", "late_fee_amount": "5.00", "late_fee_after_days": 7,
          "reconnection_fee": "10.00", "no_suspend_weekdays": [5, 6],
          "holidays": ["2026-04-17"]}


def step(session: Session, tenant: Tenant, day: date) -> dict[str, int]:
    invoices.mark_overdue_for(session, tenant.id, day)
    return dunning.run_dunning(session, tenant.id, day)


def test_dunning_to_suspension_and_restore_on_payment(session: Session, settings: Settings,
                                                      tenant: Tenant) -> None:
    w = world(session, settings, tenant, payment_terms_days=0, dunning=CONFIG)
    sub = w.subscribe(date(2026, 4, 1))  # invoice 30.00, due Apr 1
    notices: list[DunningNotice] = []

    def collect(_session: Session, event: DunningNotice) -> None:
        notices.append(event)

    subscribe(DunningNotice, collect)
    try:
        assert step(session, tenant, date(2026, 4, 2))["reminders"] == 0
        assert step(session, tenant, date(2026, 4, 4))["reminders"] == 1  # 3 days overdue
        assert step(session, tenant, date(2026, 4, 4))["reminders"] == 0  # once per stage
        late = step(session, tenant, date(2026, 4, 8))  # 7 days: late fee
        assert late["late_fees"] == 1 and w.lines()[-1] == ("late_fee", D("5.00"))
        assert step(session, tenant, date(2026, 4, 11))["final_notices"] == 1
        # day 14 is Wednesday Apr 15 ... suspension waits for a working day, not a holiday
        assert step(session, tenant, date(2026, 4, 15))["suspended"] == 1
        session.refresh(sub)
        assert sub.status == "suspended" and sub.suspend_reason.startswith("non-payment")
        first = w.invoices()[0].id
        assert [n.stage for n in notices if n.invoice_id == first] == ["reminder_3",
                                                                       "final_notice"]
        # the late-fee invoice (due Apr 8) got its own 3-day reminder on Apr 11
        assert [n.stage for n in notices if n.invoice_id != first] == ["reminder_3"]
    finally:
        _handlers[DunningNotice].remove(collect)  # billing's own handlers stay subscribed
    owed = sum((i.balance_due for i in w.invoices() if i.status != "draft"), D("0"))
    service.receive_payment(session, tenant.id, PaymentInput(
        customer_id=w.customer.id, method=PaymentMethod.CASH, amount=owed, currency="USD",
        received_on=date(2026, 4, 16)))
    session.refresh(sub)
    assert sub.status == "active"
    kinds = [k for k, _ in w.lines()]
    assert "reconnection_fee" in kinds


def test_no_suspension_on_weekends_holidays_or_for_exempt_customers(
        session: Session, settings: Settings, tenant: Tenant) -> None:
    w = world(session, settings, tenant, payment_terms_days=0, dunning=CONFIG)
    sub = w.subscribe(date(2026, 4, 1))
    assert step(session, tenant, date(2026, 4, 17))["suspended"] == 0  # Good Friday holiday
    assert step(session, tenant, date(2026, 4, 18))["suspended"] == 0  # Saturday
    setup.update_account(session, tenant.id, w.customer.id, {"dunning_exempt": True})
    assert step(session, tenant, date(2026, 4, 20))["suspended"] == 0  # exempt
    setup.update_account(session, tenant.id, w.customer.id, {"dunning_exempt": False})
    assert step(session, tenant, date(2026, 4, 20))["suspended"] == 1  # Monday
    session.refresh(sub)
    assert sub.status == "suspended"


def test_percent_late_fee(session: Session, settings: Settings, tenant: Tenant) -> None:
    w = world(session, settings, tenant, price="45.00", payment_terms_days=0,
              dunning={**CONFIG, "late_fee_kind": "percent", "late_fee_amount": "10"})
    w.subscribe(date(2026, 4, 1))
    step(session, tenant, date(2026, 4, 8))
    assert w.lines()[-1] == ("late_fee", D("4.50"))
