"""Property: for any sequence of invoices, payments, credit notes and refunds, the ledger
balance equals the sum of the documents, and no invoice is ever paid beyond its total."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import invoices, ledger, payments
from dotmac_isp.modules.billing.enums import LineKind, PaymentMethod
from dotmac_isp.modules.billing.invoices import LineInput
from dotmac_isp.modules.billing.models import CreditNote, Invoice, Payment, Refund
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.shared.errors import AppError
from tests.modules.billing.helpers import configure
from tests.support.customers import make_customer

ZERO = Decimal("0")
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=2)
actions = st.lists(st.one_of(
    st.tuples(st.just("invoice"), amounts),
    st.tuples(st.just("pay"), amounts),
    st.tuples(st.just("credit"), amounts, st.integers(0, 5)),
    st.tuples(st.just("refund"), amounts, st.integers(0, 5)),
), min_size=1, max_size=14)


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=actions)
def test_ledger_balance_is_the_sum_of_documents(session: Session, tenant: Tenant,
                                                steps: list[tuple]) -> None:  # type: ignore[type-arg]
    nested = session.begin_nested()
    try:
        configure(session, tenant)
        customer = make_customer(session, tenant)
        day = date(2026, 4, 1)
        issued: list[Invoice] = []
        paid: list[Payment] = []
        for step in steps:
            try:
                with session.begin_nested():
                    if step[0] == "invoice":
                        draft = invoices.new_draft(session, tenant.id, customer.id)
                        invoices.add_lines(session, draft, [LineInput(LineKind.ONE_OFF, "x",
                                                                      step[1])])
                        invoices.issue(session, draft, day)
                        session.flush()
                        payments.apply_credit(session, tenant.id, customer.id, day)
                        issued.append(draft)
                    elif step[0] == "pay":
                        paid.append(payments.record(session, tenant.id, payments.PaymentInput(
                            customer_id=customer.id, method=PaymentMethod.CASH, amount=step[1],
                            currency="USD", received_on=day))[0])
                    elif step[0] == "credit" and issued:
                        target = issued[step[2] % len(issued)]
                        invoices.credit(session, tenant.id, target.id, amount=step[1],
                                        reason="p", on=day)
                    elif step[0] == "refund" and paid:
                        target_payment = paid[step[2] % len(paid)]
                        payments.refund(session, tenant.id, target_payment.id, step[1], "p", day)
            except AppError:
                pass  # refused steps (over-credit, over-refund) must change nothing
        session.flush()
        session.expire_all()
        docs = {
            "invoices": _sum(session, Invoice.total, Invoice.customer_id == customer.id,
                             Invoice.status != "draft"),
            "credits": _sum(session, CreditNote.total, CreditNote.customer_id == customer.id),
            "payments": _sum(session, Payment.amount, Payment.customer_id == customer.id),
            "refunds": _sum(session, Refund.amount, Refund.customer_id == customer.id),
        }
        expected = docs["invoices"] - docs["credits"] - docs["payments"] + docs["refunds"]
        assert ledger.statement(session, tenant.id, customer.id).balance == expected
        for inv in session.scalars(select(Invoice).where(Invoice.customer_id == customer.id)):
            assert ZERO <= inv.amount_paid <= inv.total - inv.amount_credited
            assert inv.amount_credited <= inv.total
        for pay in session.scalars(select(Payment).where(Payment.customer_id == customer.id)):
            assert ZERO <= pay.amount_allocated + pay.amount_refunded <= pay.amount
    finally:
        nested.rollback()


def _sum(session: Session, column, *where) -> Decimal:  # type: ignore[no-untyped-def]
    return sum(session.scalars(select(column).where(*where)), ZERO)
