"""A month's commission statement, computed by hand, on both databases; the job run twice
changes nothing; an approved statement is final."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.modules.billing import invoices, payments
from dotmac_isp.modules.billing.enums import LineKind, PaymentMethod
from dotmac_isp.modules.billing.invoices import LineInput
from dotmac_isp.modules.billing.models import Invoice
from dotmac_isp.modules.billing.tax import Rate
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.resellers import statements
from dotmac_isp.modules.resellers.models import CommissionStatement, StatementLine
from dotmac_isp.modules.resellers.tasks import commission_statements
from dotmac_isp.modules.services import lifecycle
from dotmac_isp.modules.services.models import Plan, Subscription
from tests.modules.resellers.helpers import make_reseller, set_rule
from tests.support.customers import make_customer, make_plan, make_subscription

VAT = Rate("vat", "VAT", Decimal("7.5"))
D = Decimal


def _activate(session: Session, tenant: Tenant, settings: Settings, customer: Customer,
              plan: Plan, day: date) -> Subscription:
    sub = make_subscription(session, settings, tenant, customer=customer, plan=plan)
    lifecycle.activate(session, tenant.id, sub.id,
                       effective_at=datetime(day.year, day.month, day.day, 10, tzinfo=UTC))
    return sub


def _invoice(session: Session, tenant: Tenant, customer: Customer, on: date,
             lines: list[LineInput], rates: list[Rate]) -> Invoice:
    draft = invoices.new_draft(session, tenant.id, customer.id)
    invoices.add_lines(session, draft, lines, rates=rates)
    return invoices.issue(session, draft, on)


def _pay(session: Session, tenant: Tenant, customer: Customer, amount: str,
         on: date) -> Any:
    made, _ = payments.record(session, tenant.id, payments.PaymentInput(
        customer_id=customer.id, method=PaymentMethod.CASH, amount=D(amount), currency="USD",
        received_on=on))
    return made


def _march(session: Session, settings: Settings, tenant: Tenant) -> Any:
    reseller = make_reseller(session, tenant, "wavenet")
    # price 0: activation issues no invoice of its own; the test writes the invoices
    fibre = make_plan(session, tenant, name="Fibre 100", price=D("0"))
    air = make_plan(session, tenant, name="Air 20", price=D("0"))
    set_rule(session, tenant, reseller, fibre.id, "10", "15.00")  # Fibre: 10 % and 15.00
    set_rule(session, tenant, reseller, None, "12.5")  # every other plan: 12.5 %
    ada = make_customer(session, tenant, reseller_id=reseller.id)
    bola = make_customer(session, tenant, first_name="Bola", reseller_id=reseller.id)
    direct = make_customer(session, tenant, first_name="Direct")  # the tenant's own

    s1 = _activate(session, tenant, settings, ada, fibre, date(2026, 2, 20))  # February
    s2 = _activate(session, tenant, settings, bola, air, date(2026, 3, 5))  # no fixed amount
    _activate(session, tenant, settings, bola, fibre, date(2026, 3, 12))  # 15.00
    s_direct = _activate(session, tenant, settings, direct, fibre, date(2026, 3, 2))

    # I1 (Ada): Fibre 100.00 + a router 20.00 (earns nothing), 7.5 % VAT: total 129.00
    i1 = _invoice(session, tenant, ada, date(2026, 3, 1), [
        LineInput(LineKind.SUBSCRIPTION, "Fibre 100, March", D("100.00"), subscription_id=s1.id),
        LineInput(LineKind.ONE_OFF, "Router", D("20.00"))], [VAT])
    # I2 (Bola): Air 50.00 + 3.75 VAT = 53.75
    _invoice(session, tenant, bola, date(2026, 3, 1), [
        LineInput(LineKind.SUBSCRIPTION, "Air 20, March", D("50.00"), subscription_id=s2.id)],
        [VAT])
    _invoice(session, tenant, direct, date(2026, 3, 1), [
        LineInput(LineKind.SUBSCRIPTION, "Fibre 100, March", D("100.00"),
                  subscription_id=s_direct.id)], [VAT])

    p1 = _pay(session, tenant, ada, "129.00", date(2026, 3, 3))  # all of I1
    _pay(session, tenant, direct, "107.50", date(2026, 3, 4))  # not the reseller's
    _pay(session, tenant, bola, "20.00", date(2026, 3, 10))  # part of I2
    _pay(session, tenant, bola, "33.75", date(2026, 3, 25))  # the rest of I2
    # I4 (Bola): Air usage 9.80 without tax, paid on the 28th
    _invoice(session, tenant, bola, date(2026, 3, 26), [
        LineInput(LineKind.USAGE, "Air 20 extra data", D("9.80"), subscription_id=s2.id)], [])
    _pay(session, tenant, bola, "9.80", date(2026, 3, 28))
    _pay(session, tenant, bola, "5.00", date(2026, 4, 1))  # April: not in March's statement
    # A partial refund: 32.25 of I1 credited (freeing that much of P1), then paid back
    invoices.credit(session, tenant.id, i1.id, amount=D("32.25"), reason="outage",
                    on=date(2026, 3, 20))
    payments.refund(session, tenant.id, p1.id, D("32.25"), "outage credit paid back",
                    date(2026, 3, 21))
    session.flush()
    return reseller


# The statement for March, by hand (percent of the payment's share of the plan's lines, net
# of tax: allocated x line net / invoice total; each line rounded half up to the cent):
#   P1 on I1, Fibre 10 %: 129.00 x 100.00/129.00 = 100.00 net -> 10.00
#      (I1's credit note freed 32.25 of P1 and it was refunded: counted back in here, the
#       refund's own line takes it out)
#   P2 on I2, Air 12.5 %: 20.00 x 50.00/53.75 = 18.604651.. net -> 2.325581.. -> 2.33
#   P3 on I2, Air 12.5 %: 33.75 x 50.00/53.75 = 31.395348.. net -> 3.924418.. -> 3.92
#   P4 on I4, Air 12.5 % (no tax): 9.80 net -> 1.225 -> 1.23 (half up, not 1.22)
#   Refund of 32.25 of P1's 129.00 = 1/4 of its 100.00 net = 25.00 -> -2.50
#   Activation of Bola's Fibre on 12 March: 15.00 (Air's rule has no fixed amount; Ada's
#   Fibre started in February; the direct customer's payment and activation are not hers)
#   Total: 10.00 + 2.33 + 3.92 + 1.23 - 2.50 + 15.00 = 29.98
EXPECTED = [
    ("payment", D("100.00"), D("10.00")),
    ("payment", D("18.60"), D("2.33")),
    ("payment", D("31.40"), D("3.92")),
    ("payment", D("9.80"), D("1.23")),
    ("refund", D("-25.00"), D("-2.50")),
    ("activation", D("0"), D("15.00")),
]


def _run(db: Any, settings: Settings, day: date) -> str:
    return commission_statements(JobContext(database=db, settings=settings,
                                            params={"date": day}))


def _snapshot(session: Session) -> list[tuple[Any, ...]]:
    session.expire_all()
    rows: list[tuple[Any, ...]] = [
        (s.id, s.status, s.total, s.computed_at, s.updated_at)
        for s in session.scalars(select(CommissionStatement).order_by(CommissionStatement.id))]
    rows += [(line.id, line.key, line.position, line.base_amount, line.amount)
             for line in session.scalars(select(StatementLine).order_by(StatementLine.id))]
    return rows


def test_march_statement_matches_the_hand_computation_and_a_rerun_changes_nothing(
        db: Any, session: Session, settings: Settings, tenant: Tenant) -> None:
    reseller = _march(session, settings, tenant)
    summary = _run(db, settings, date(2026, 4, 2))  # as of 2 April: March
    assert summary == "1 draft"
    statement = session.scalars(select(CommissionStatement).where(
        CommissionStatement.reseller_id == reseller.id)).one()
    assert (statement.period_start, statement.period_end, statement.currency) == (
        date(2026, 3, 1), date(2026, 3, 31), "USD")
    got = statements.get_statement(session, tenant.id, statement.id)
    assert [(line.kind, line.base_amount, line.amount) for line in got.lines] == EXPECTED
    assert got.total == D("29.98")

    before = _snapshot(session)
    assert _run(db, settings, date(2026, 4, 15)) == "1 draft"  # any day of April: March
    assert _snapshot(session) == before


def test_an_approved_statement_is_final(db: Any, session: Session, settings: Settings,
                                        tenant: Tenant) -> None:
    reseller = _march(session, settings, tenant)
    _run(db, settings, date(2026, 4, 2))
    statement = session.scalars(select(CommissionStatement).where(
        CommissionStatement.reseller_id == reseller.id)).one()
    statements.approve(session, tenant.id, statement.id, "boss@tenant-a.example")
    session.flush()
    frozen = _snapshot(session)
    bola = session.scalars(select(Customer).where(Customer.first_name == "Bola")).one()
    _pay(session, tenant, bola, "3.00", date(2026, 3, 30))  # a late entry for March
    session.flush()
    assert _run(db, settings, date(2026, 4, 20)) == "1 approved"
    assert _snapshot(session) == frozen
