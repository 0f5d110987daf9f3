"""Hand-computed proration: month lengths, plan changes, suspension, termination, cycles.

Plan price 30.00 monthly, billing day 1, prepaid, no tax, unless a test says otherwise.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing import run, setup
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.services.enums import SubscriptionStatus as S
from tests.conftest import RollbackDatabase
from tests.modules.billing.helpers import money, world
from tests.support.customers import make_plan


@pytest.mark.parametrize(("activated", "expected", "why"), [
    (date(2026, 2, 15), "15.00", "Feb 2026 has 28 days: 14 used -> 30 x 14/28"),
    (date(2028, 2, 15), "15.52", "Feb 2028 has 29 days: 15 used -> 30 x 15/29 = 15.517"),
    (date(2026, 4, 11), "20.00", "April has 30 days: 20 used -> 30 x 20/30"),
    (date(2026, 3, 21), "10.65", "March has 31 days: 11 used -> 30 x 11/31 = 10.645"),
    (date(2026, 3, 1), "30.00", "activated on the billing day: the whole month"),
    (date(2026, 1, 31), "0.97", "one day of January: 30 x 1/31 = 0.9677"),
])
def test_first_period_is_prorated_by_days(session: Session, settings: Settings, tenant: Tenant,
                                          activated: date, expected: str, why: str) -> None:
    w = world(session, settings, tenant)
    w.subscribe(activated)
    assert w.lines() == [("subscription", money(expected))], why
    [invoice] = w.invoices()
    assert invoice.status == "issued" and invoice.number and invoice.total == money(expected)


def test_setup_fee_is_charged_once_on_activation(session: Session, settings: Settings,
                                                 tenant: Tenant) -> None:
    w = world(session, settings, tenant)
    fee_plan = make_plan(session, tenant, price=Decimal("30.00"), setup_fee=Decimal("25.00"))
    w.subscribe(date(2026, 4, 11), plan=fee_plan)
    assert sorted(w.lines()) == [("setup_fee", money("25.00")), ("subscription", money("20.00"))]


def test_run_bills_the_next_period_once(session: Session, settings: Settings, tenant: Tenant,
                                        db: RollbackDatabase) -> None:
    w = world(session, settings, tenant)
    w.subscribe(date(2026, 3, 21))
    first = run.run(db, tenant.id, date(2026, 4, 1))  # type: ignore[arg-type]
    assert (first.periods_billed, first.invoices_issued) == (1, 1)
    again = run.run(db, tenant.id, date(2026, 4, 1))  # type: ignore[arg-type]
    assert (again.periods_billed, again.invoices_created, again.invoices_issued) == (0, 0, 0)
    assert w.lines() == [("subscription", money("10.65")), ("subscription", money("30.00"))]
    may = run.run(db, tenant.id, date(2026, 5, 3))  # type: ignore[arg-type]
    assert may.periods_billed == 1 and w.lines()[-1] == ("subscription", money("30.00"))


def test_upgrade_mid_period_credits_unused_and_charges_new(session: Session,
                                                           settings: Settings,
                                                           tenant: Tenant) -> None:
    w = world(session, settings, tenant)
    bigger = make_plan(session, tenant, price=Decimal("60.00"))
    sub = w.subscribe(date(2026, 4, 1))
    w.change_plan(sub, bigger, date(2026, 4, 16))  # 15 of 30 April days remain
    assert w.credit_notes() == [money("15.00")]  # 30 x 15/30 back
    assert w.lines()[-1] == ("proration", money("30.00"))  # 60 x 15/30 charged


def test_downgrade_mid_period(session: Session, settings: Settings, tenant: Tenant) -> None:
    w = world(session, settings, tenant, price="60.00")
    smaller = make_plan(session, tenant, price=Decimal("30.00"))
    sub = w.subscribe(date(2026, 4, 1))
    w.change_plan(sub, smaller, date(2026, 4, 21))  # 10 days remain
    assert w.credit_notes() == [money("20.00")]  # 60 x 10/30
    assert w.lines()[-1] == ("proration", money("10.00"))  # 30 x 10/30


def test_suspension_credits_and_restore_charges_again(session: Session, settings: Settings,
                                                      tenant: Tenant) -> None:
    w = world(session, settings, tenant)
    sub = w.subscribe(date(2026, 4, 1))
    w.move(sub, S.SUSPENDED, date(2026, 4, 11))  # 20 days unused
    assert w.credit_notes() == [money("20.00")]
    w.move(sub, S.ACTIVE, date(2026, 4, 21))  # 10 days to go
    assert w.lines()[-1] == ("proration", money("10.00"))
    [first, _second] = w.invoices()
    assert first.status == "partially_paid" or first.amount_credited == money("20.00")


def test_suspended_service_billed_when_configured(session: Session, settings: Settings,
                                                  tenant: Tenant) -> None:
    w = world(session, settings, tenant, bill_suspended=True)
    sub = w.subscribe(date(2026, 4, 1))
    w.move(sub, S.SUSPENDED, date(2026, 4, 11))
    assert w.credit_notes() == []


def test_run_skips_periods_that_start_while_suspended(session: Session, settings: Settings,
                                                      tenant: Tenant,
                                                      db: RollbackDatabase) -> None:
    w = world(session, settings, tenant)
    sub = w.subscribe(date(2026, 4, 1))
    w.move(sub, S.SUSPENDED, date(2026, 4, 25))
    assert run.run(db, tenant.id, date(2026, 5, 1)).periods_billed == 0  # type: ignore[arg-type]
    w.move(sub, S.ACTIVE, date(2026, 5, 11))  # 21 of 31 May days
    assert w.lines()[-1] == ("proration", money("20.32"))  # 30 x 21/31 = 20.3226
    assert run.run(db, tenant.id, date(2026, 5, 20)).periods_billed == 0  # type: ignore[arg-type]


def test_termination_credits_unused_days(session: Session, settings: Settings,
                                         tenant: Tenant) -> None:
    w = world(session, settings, tenant)
    sub = w.subscribe(date(2026, 4, 1))
    w.move(sub, S.TERMINATED, date(2026, 4, 11))
    assert w.credit_notes() == [money("20.00")]


def test_termination_while_suspended_credits_nothing_more(session: Session,
                                                          settings: Settings,
                                                          tenant: Tenant) -> None:
    w = world(session, settings, tenant)
    sub = w.subscribe(date(2026, 4, 1))
    w.move(sub, S.SUSPENDED, date(2026, 4, 11))
    w.move(sub, S.TERMINATED, date(2026, 4, 21))
    assert w.credit_notes() == [money("20.00")]


def test_quarterly_cycle_prorates_over_the_quarter(session: Session, settings: Settings,
                                                   tenant: Tenant) -> None:
    w = world(session, settings, tenant)
    quarterly = make_plan(session, tenant, price=Decimal("90.00"), billing_cycle="quarterly")
    w.subscribe(date(2026, 2, 15), plan=quarterly)
    # the quarter Dec 1 - Mar 1 has 31 + 31 + 28 = 90 days; 14 are used
    assert w.lines() == [("subscription", money("14.00"))]


def test_customer_anniversary_billing(session: Session, settings: Settings,
                                      tenant: Tenant, db: RollbackDatabase) -> None:
    w = world(session, settings, tenant)
    setup.update_account(session, tenant.id, w.customer.id, {"anniversary": True})
    w.subscribe(date(2026, 3, 21))
    assert w.lines() == [("subscription", money("30.00"))]  # Mar 21 - Apr 20, whole
    run.run(db, tenant.id, date(2026, 4, 20))  # type: ignore[arg-type]
    assert len(w.lines()) == 1
    run.run(db, tenant.id, date(2026, 4, 21))  # type: ignore[arg-type]
    assert w.lines()[-1] == ("subscription", money("30.00"))


def test_postpaid_bills_the_past_period_in_segments(session: Session, settings: Settings,
                                                    tenant: Tenant,
                                                    db: RollbackDatabase) -> None:
    w = world(session, settings, tenant, mode="postpaid")
    bigger = make_plan(session, tenant, price=Decimal("60.00"))
    sub = w.subscribe(date(2026, 4, 1))
    assert w.invoices() == []  # nothing until the period has been used
    w.change_plan(sub, bigger, date(2026, 4, 16))
    w.move(sub, S.SUSPENDED, date(2026, 4, 26))
    w.move(sub, S.ACTIVE, date(2026, 4, 28))
    assert run.run(db, tenant.id, date(2026, 4, 30)).periods_billed == 0  # type: ignore[arg-type]
    run.run(db, tenant.id, date(2026, 5, 1))  # type: ignore[arg-type]
    # 15 days at 30/month = 15.00, 10 days at 60 = 20.00, suspended 2 days, 3 days at 60 = 6.00
    assert sorted(a for _, a in w.lines()) == [money("6.00"), money("15.00"), money("20.00")]
    assert run.run(db, tenant.id, date(2026, 5, 1)).periods_billed == 0  # type: ignore[arg-type]


def test_postpaid_termination_bills_the_last_days(session: Session, settings: Settings,
                                                  tenant: Tenant, db: RollbackDatabase) -> None:
    w = world(session, settings, tenant, mode="postpaid")
    sub = w.subscribe(date(2026, 4, 1))
    w.move(sub, S.TERMINATED, date(2026, 4, 11))
    run.run(db, tenant.id, date(2026, 4, 12))  # type: ignore[arg-type]
    assert w.lines() == [("subscription", money("10.00"))]  # 10 of 30 days


def test_minimum_invoice_amount_holds_small_drafts(session: Session, settings: Settings,
                                                   tenant: Tenant, db: RollbackDatabase) -> None:
    w = world(session, settings, tenant, min_invoice_amount=Decimal("20.00"))
    w.subscribe(date(2026, 3, 21))  # 10.65, below the minimum
    [draft] = w.invoices()
    assert draft.status == "draft" and draft.number is None
    run.run(db, tenant.id, date(2026, 4, 1))  # type: ignore[arg-type]
    [issued] = w.invoices()
    assert issued.status == "issued" and issued.total == money("40.65")


def test_review_window_holds_drafts_until_it_passes(session: Session, settings: Settings,
                                                    tenant: Tenant, db: RollbackDatabase) -> None:
    w = world(session, settings, tenant, review_days=3)
    w.subscribe(date(2026, 4, 1))
    run.run(db, tenant.id, date(2026, 4, 3))  # type: ignore[arg-type]
    assert [i.status for i in w.invoices()] == ["draft"]
    run.run(db, tenant.id, date(2026, 4, 4))  # type: ignore[arg-type]
    assert [i.status for i in w.invoices()] == ["issued"]
    run.run(db, tenant.id, date(2026, 5, 1))  # type: ignore[arg-type]
    assert [i.status for i in w.invoices()] == ["issued", "draft"]
    run.run(db, tenant.id, date(2026, 5, 4))  # type: ignore[arg-type]
    assert [i.status for i in w.invoices()] == ["issued", "issued"]
