"""Money safety in the payment service: plain amounts, void (invoices open again, payment and
void both kept), refunds refused on a voided payment, and payments settling chosen invoices.
Balances are computed by hand in the comments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import payments, service
from dotmac_isp.modules.billing.enums import PaymentMethod
from dotmac_isp.modules.billing.models import Payment, PaymentAllocation
from dotmac_isp.modules.identity.models import AuditLog, Tenant
from dotmac_isp.shared.errors import Conflict, ValidationFailed
from dotmac_isp.shared.money import parse_amount
from tests.modules.billing.helpers import configure
from tests.support.customers import make_customer
from tests.web.billing_support import invoice, pay


@pytest.mark.parametrize(("typed", "expected"), [
    ("49.99", "49.99"), (" 1000 ", "1000"), ("1,000.00", "1000.00"), ("0.5", "0.5"),
    ("12,345,678.90", "12345678.90"),
])
def test_plain_amounts_are_read_exactly(typed: str, expected: str) -> None:
    assert parse_amount(typed) == Decimal(expected)


@pytest.mark.parametrize(("typed", "message"), [
    ("1e9", "digits and a decimal point only"), ("1E3", "digits and a decimal point only"),
    ("NaN", "digits and a decimal point only"), ("Infinity", "digits and a decimal point only"),
    ("-inf", "digits and a decimal point only"), ("1.000,00", "ambiguous"),
    ("1,000", "ambiguous"), ("1,5", "ambiguous"), ("10.123", "at most 2 decimal places"),
    ("-5.00", "must not be negative"), ("0", "more than zero"), ("", "is needed"),
    ("0x10", "digits and a decimal point only"), ("1_000", "digits and a decimal point only"),
    ("١٢٣", "digits and a decimal point only"),  # Arabic-Indic digits: Decimal() reads them
])
def test_other_spellings_are_refused_with_a_reason(typed: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_amount(typed)


def test_currency_places_and_allowed_signs() -> None:
    with pytest.raises(ValueError, match="whole amounts only"):
        parse_amount("100.5", currency="JPY")
    assert parse_amount("1500", currency="JPY") == Decimal("1500")
    assert parse_amount("-5.00", allow_negative=True) == Decimal("-5.00")


def test_void_reopens_the_invoices_and_keeps_payment_and_void(session: Session,
                                                              tenant: Tenant) -> None:
    configure(session, tenant)
    customer = make_customer(session, tenant)
    april = invoice(session, tenant, customer.id, "100.00", on=date(2026, 4, 1))
    may = invoice(session, tenant, customer.id, "50.00", on=date(2026, 5, 1))
    mistake = pay(session, tenant, customer.id, "120.00", on=date(2026, 5, 3))
    # oldest first: April 100.00 paid, May 20.00 of 50.00 paid
    assert (april.amount_paid, may.amount_paid) == (Decimal("100.00"), Decimal("20.00"))
    assert april.status == "paid"

    service.void_payment(session, tenant.id, mistake.id, "typed for the wrong customer")

    session.expire_all()
    voided = session.get(Payment, mistake.id)
    assert voided is not None and voided.voided_at is not None
    assert voided.void_reason == "typed for the wrong customer"
    assert (voided.amount, voided.amount_allocated, voided.unallocated) == (
        Decimal("120.00"), Decimal("0"), Decimal("0"))
    assert april.amount_paid == 0 and april.balance_due == Decimal("100.00")
    assert may.amount_paid == 0 and may.balance_due == Decimal("50.00")
    assert april.status != "paid" and april.paid_at is None
    assert session.scalars(select(PaymentAllocation).where(
        PaymentAllocation.payment_id == mistake.id)).all() == []
    # statement: +100 +50 -120 (payment) +120 (void) = 150.00 owed
    statement = service.statement(session, tenant.id, customer.id)
    kinds = [(e.kind, e.number) for e in statement.entries]
    assert ("payment", mistake.number) in kinds and ("payment_void", mistake.number) in kinds
    assert statement.balance == Decimal("150.00")
    # the void is in the audit log as a change of the payment
    entries = session.scalars(select(AuditLog).where(
        AuditLog.tenant_id == tenant.id, AuditLog.entity_type == "payments",
        AuditLog.entity_id == str(mistake.id), AuditLog.action == "update")).all()
    assert any((e.after or {}).get("void_reason") == "typed for the wrong customer"
               for e in entries), [(e.entity_type, e.after) for e in entries]

    with pytest.raises(Conflict, match="already voided"):
        service.void_payment(session, tenant.id, mistake.id, "again")
    with pytest.raises(Conflict, match="voided"):
        service.refund_payment(session, tenant.id, mistake.id, Decimal("1.00"), "back")
    # the right payment: 30.00 goes to April (oldest), not to the voided payment's credit
    right = pay(session, tenant, customer.id, "30.00", on=date(2026, 5, 4))
    assert april.amount_paid == Decimal("30.00") and april.balance_due == Decimal("70.00")
    assert may.balance_due == Decimal("50.00")
    assert right.amount_allocated == Decimal("30.00")
    assert service.statement(session, tenant.id, customer.id).balance == Decimal("120.00")


def test_void_needs_a_reason_and_refuses_a_refunded_payment(session: Session,
                                                           tenant: Tenant) -> None:
    configure(session, tenant)
    customer = make_customer(session, tenant)
    invoice(session, tenant, customer.id, "40.00")
    payment = pay(session, tenant, customer.id, "50.00")  # 10.00 credit
    with pytest.raises(ValidationFailed, match="reason"):
        service.void_payment(session, tenant.id, payment.id, "  ")
    service.refund_payment(session, tenant.id, payment.id, Decimal("10.00"), "overpaid")
    with pytest.raises(Conflict, match="refunded"):
        service.void_payment(session, tenant.id, payment.id, "mistake")
    assert payment.voided_at is None and payment.amount_allocated == Decimal("40.00")


def _payment(customer_id: object, amount: str, invoice_ids: list[object]) -> payments.PaymentInput:
    return payments.PaymentInput(
        customer_id=customer_id, method=PaymentMethod.CASH,  # type: ignore[arg-type]
        amount=Decimal(amount), currency="USD", received_on=date(2026, 5, 5),
        invoice_ids=invoice_ids)  # type: ignore[arg-type]


def test_a_payment_settles_the_invoices_staff_choose(session: Session, tenant: Tenant) -> None:
    configure(session, tenant)
    customer = make_customer(session, tenant)
    april = invoice(session, tenant, customer.id, "100.00", on=date(2026, 4, 1))
    may = invoice(session, tenant, customer.id, "50.00", on=date(2026, 5, 1))
    june = invoice(session, tenant, customer.id, "30.00", on=date(2026, 6, 1))
    # 60.00 for May: May 50.00 paid; the 10.00 rest goes oldest first, to April
    service.receive_payment(session, tenant.id, _payment(customer.id, "60.00", [may.id]))
    assert may.status == "paid" and may.balance_due == 0
    assert april.balance_due == Decimal("90.00") and june.balance_due == Decimal("30.00")
    # June and April chosen together: settled oldest first among them (April 90, June 10)
    service.receive_payment(session, tenant.id, _payment(customer.id, "100.00",
                                                         [june.id, april.id]))
    assert april.balance_due == 0 and june.balance_due == Decimal("20.00")


def test_chosen_invoices_must_be_open_invoices_of_the_customer(session: Session,
                                                               tenant: Tenant,
                                                               other_tenant: Tenant) -> None:
    configure(session, tenant)
    configure(session, other_tenant)
    customer = make_customer(session, tenant)
    neighbour = make_customer(session, tenant)
    stranger = make_customer(session, other_tenant)
    own = invoice(session, tenant, customer.id, "10.00")
    theirs = invoice(session, tenant, neighbour.id, "10.00")
    foreign = invoice(session, other_tenant, stranger.id, "10.00")
    draft = invoice(session, tenant, customer.id, "10.00", on=None)
    for wrong in (theirs, foreign, draft):
        with pytest.raises(ValidationFailed, match="not an open invoice of this customer"):
            service.receive_payment(session, tenant.id, _payment(customer.id, "10.00",
                                                                 [own.id, wrong.id]))
    assert session.scalars(select(Payment).where(Payment.customer_id == customer.id)).all() \
        == []
    assert own.balance_due == Decimal("10.00")
