"""Hand-computed taxes, payments, credit notes, refunds, numbering and the ledger."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import invoices, ledger, payments, service, setup
from dotmac_isp.modules.billing.enums import LineKind, PaymentMethod
from dotmac_isp.modules.billing.invoices import LineInput
from dotmac_isp.modules.billing.models import Invoice
from dotmac_isp.modules.customers import schemas as customer_schemas
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.shared.errors import AppError, Conflict, ValidationFailed
from tests.modules.billing.helpers import configure
from tests.support.customers import make_customer

D = Decimal


def one_off(session: Session, tenant: Tenant, customer_id: uuid.UUID, *amounts: str,
            on: date = date(2026, 4, 1)) -> Invoice:
    draft = invoices.new_draft(session, tenant.id, customer_id)
    invoices.add_lines(session, draft, [LineInput(kind=LineKind.ONE_OFF,
                                                  description=f"Item {i}", unit_price=D(a))
                                        for i, a in enumerate(amounts)])
    invoices.issue(session, draft, on)
    session.flush()
    return draft


def pay(session: Session, tenant: Tenant, customer_id: uuid.UUID, amount: str,
        on: date = date(2026, 4, 2), **extra: object):  # type: ignore[no-untyped-def]
    data = payments.PaymentInput(customer_id=customer_id, method=PaymentMethod.CASH,
                                 amount=D(amount), currency="USD", received_on=on)
    for key, value in extra.items():
        setattr(data, key, value)
    return payments.record(session, tenant.id, data)[0]


@pytest.fixture
def taxes(session: Session, tenant: Tenant) -> dict[str, str]:
    configure(session, tenant)
    vat = setup.create_tax_rate(session, tenant.id, "VAT", D("7.5"))
    gst = setup.create_tax_rate(session, tenant.id, "GST", D("5"), position=1)
    pst = setup.create_tax_rate(session, tenant.id, "PST", D("10"), compound=True, position=2)
    return {"vat": str(vat.id), "gst": str(gst.id), "pst": str(pst.id)}


@pytest.mark.parametrize(("rates", "inclusive", "price", "net", "tax", "total"), [
    (["vat"], False, "30.00", "30.00", "2.25", "32.25"),
    (["vat"], True, "32.25", "30.00", "2.25", "32.25"),
    (["gst", "pst"], False, "100.00", "100.00", "15.50", "115.50"),  # 5.00 + 10% of 105.00
    (["gst", "pst"], True, "115.50", "100.00", "15.50", "115.50"),
    (["vat"], False, "0.10", "0.10", "0.01", "0.11"),  # 0.0075 rounds half-up to 0.01
    (["vat"], True, "10.00", "9.30", "0.70", "10.00"),  # 10/1.075 = 9.3023 -> tax 0.6977
])
def test_taxes(session: Session, tenant: Tenant, taxes: dict[str, str], rates: list[str],
               inclusive: bool, price: str, net: str, tax: str, total: str) -> None:
    setup.update_settings(session, tenant.id, {"default_tax_rate_ids": [taxes[r] for r in rates],
                                               "prices_include_tax": inclusive})
    customer = make_customer(session, tenant)
    invoice = one_off(session, tenant, customer.id, price)
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (D(net), D(tax), D(total))


def test_tax_totals_per_rate_and_exempt_customers(session: Session, tenant: Tenant,
                                                  taxes: dict[str, str]) -> None:
    setup.update_settings(session, tenant.id, {"default_tax_rate_ids": [taxes["gst"],
                                                                        taxes["pst"]]})
    customer = make_customer(session, tenant)
    invoice = one_off(session, tenant, customer.id, "100.00", "50.00")
    assert invoice.tax_summary == [  # PST is 10% of 157.50 (net plus GST)
        {"name": "GST", "rate": "5", "amount": "7.50", "base": "150.00"},
        {"name": "PST", "rate": "10", "amount": "15.75", "base": "150.00"},
    ]
    exempt = make_customer(session, tenant, tax_exempt=True, tax_exempt_reason="embassy")
    assert one_off(session, tenant, exempt.id, "100.00").total == D("100.00")


def test_partial_payments_across_three_invoices_oldest_first(session: Session,
                                                             tenant: Tenant) -> None:
    configure(session, tenant)
    customer = make_customer(session, tenant)
    first = one_off(session, tenant, customer.id, "30.00", on=date(2026, 1, 1))
    second = one_off(session, tenant, customer.id, "40.00", on=date(2026, 2, 1))
    third = one_off(session, tenant, customer.id, "50.00", on=date(2026, 3, 1))
    pay(session, tenant, customer.id, "50.00")
    assert (first.status, first.amount_paid) == ("paid", D("30.00"))
    assert (second.status, second.amount_paid) == ("overdue", D("20.00")) or \
        second.amount_paid == D("20.00")
    assert third.amount_paid == 0
    pay(session, tenant, customer.id, "70.00")
    assert [i.status for i in (first, second, third)] == ["paid", "paid", "paid"]
    assert payments.customer_credit(session, tenant.id, customer.id) == 0


def test_overpayment_becomes_credit_used_on_the_next_invoice(session: Session,
                                                             tenant: Tenant) -> None:
    configure(session, tenant)
    customer = make_customer(session, tenant)
    one_off(session, tenant, customer.id, "30.00")
    pay(session, tenant, customer.id, "50.00")
    assert payments.customer_credit(session, tenant.id, customer.id) == D("20.00")
    nxt = invoices.new_draft(session, tenant.id, customer.id)
    invoices.add_lines(session, nxt, [LineInput(LineKind.ONE_OFF, "May", D("30.00"))])
    service.issue_invoice(session, tenant.id, nxt.id)
    assert (nxt.amount_paid, nxt.balance_due, nxt.status) == (D("20.00"), D("10.00"),
                                                              nxt.status)
    assert nxt.status in ("partially_paid", "overdue")
    assert payments.customer_credit(session, tenant.id, customer.id) == 0


def test_credit_notes_partial_full_and_too_much(session: Session, tenant: Tenant) -> None:
    configure(session, tenant)
    customer = make_customer(session, tenant)
    invoice = one_off(session, tenant, customer.id, "100.00")
    note = invoices.credit(session, tenant.id, invoice.id, amount=D("40.00"), reason="outage",
                           on=date(2026, 4, 3))
    assert note.number.startswith("CN-2026-") and invoice.balance_due == D("60.00")
    with pytest.raises(ValidationFailed, match=r"at most 60\.00"):
        invoices.credit(session, tenant.id, invoice.id, amount=D("60.01"), reason="x",
                        on=date(2026, 4, 3))
    invoices.credit(session, tenant.id, invoice.id, amount=None, reason="cancelled",
                    on=date(2026, 4, 3))
    assert invoice.status == "void" and invoice.balance_due == 0
    with pytest.raises(AppError):
        invoices.credit(session, tenant.id, invoice.id, amount=D("1"), reason="x",
                        on=date(2026, 4, 3))


def test_crediting_a_paid_invoice_frees_the_payment_for_a_refund(session: Session,
                                                                 tenant: Tenant) -> None:
    configure(session, tenant)
    customer = make_customer(session, tenant)
    invoice = one_off(session, tenant, customer.id, "80.00")
    payment = pay(session, tenant, customer.id, "80.00")
    assert invoice.status == "paid"
    with pytest.raises(ValidationFailed, match=r"only 0\.00"):
        payments.refund(session, tenant.id, payment.id, D("10"), "x", date(2026, 4, 5))
    invoices.credit(session, tenant.id, invoice.id, amount=D("30.00"), reason="downtime",
                    on=date(2026, 4, 5))
    assert payment.unallocated == D("30.00") and invoice.status == "paid"
    refund = payments.refund(session, tenant.id, payment.id, D("30.00"), "downtime",
                             date(2026, 4, 6))
    assert refund.number.startswith("RF-2026-")
    statement = ledger.statement(session, tenant.id, customer.id)
    assert statement.balance == D("0.00")
    assert [e.kind for e in statement.entries] == ["invoice", "payment", "credit_note", "refund"]


def test_payment_methods_are_validated(session: Session, tenant: Tenant) -> None:
    configure(session, tenant)
    customer = make_customer(session, tenant)
    cases = [
        ({"amount": D("0")}, "positive"),
        ({"amount": D("-5")}, "positive"),
        ({"amount": D("1.001")}, "two decimal"),
        ({"currency": "EUR"}, "billed in USD"),
        ({"method": PaymentMethod.CHEQUE}, "cheque number"),
        ({"method": PaymentMethod.BANK_TRANSFER}, "bank's reference"),
        ({"method": PaymentMethod.CARD, "reference": "T-1"}, "card_last4"),
        ({"method": PaymentMethod.CARD, "card_last4": "4242"}, "terminal's reference"),
        ({"reference": "card 4111 1111 1111 1111"}, "card number"),
        ({"card_last4": "4242"}, "only to card payments"),
    ]
    for changes, message in cases:
        amount = str(changes.pop("amount", "10.00"))
        with pytest.raises(AppError, match=message):
            pay(session, tenant, customer.id, amount, **changes)
    card = pay(session, tenant, customer.id, "10.00", method=PaymentMethod.CARD,
               reference="POS-778", card_last4="4242", card_brand="visa")
    assert (card.gateway, card.gateway_reference, card.card_last4) == ("manual", "POS-778",
                                                                       "4242")


def test_idempotency_key_records_one_payment(session: Session, tenant: Tenant) -> None:
    configure(session, tenant)
    customer = make_customer(session, tenant)
    first, created = payments.record(session, tenant.id, payments.PaymentInput(
        customer_id=customer.id, method=PaymentMethod.CASH, amount=D("25.00"), currency="USD",
        received_on=date(2026, 4, 2), idempotency_key="till-7-0042"))
    again, created_again = payments.record(session, tenant.id, payments.PaymentInput(
        customer_id=customer.id, method=PaymentMethod.CASH, amount=D("25.00"), currency="USD",
        received_on=date(2026, 4, 2), idempotency_key="till-7-0042"))
    assert created and not created_again and again.id == first.id
    with pytest.raises(Conflict):
        payments.record(session, tenant.id, payments.PaymentInput(
            customer_id=customer.id, method=PaymentMethod.CASH, amount=D("99.00"),
            currency="USD", received_on=date(2026, 4, 2), idempotency_key="till-7-0042"))


def test_receipts_and_gapless_numbers_with_yearly_reset(session: Session,
                                                        tenant: Tenant) -> None:
    configure(session, tenant, invoice_template="F{year}/{seq:04d}")
    customer = make_customer(session, tenant)
    numbers = [one_off(session, tenant, customer.id, "1.00", on=date(2026, 12, 30)).number,
               one_off(session, tenant, customer.id, "1.00", on=date(2026, 12, 31)).number,
               one_off(session, tenant, customer.id, "1.00", on=date(2027, 1, 1)).number]
    assert numbers == ["F2026/0001", "F2026/0002", "F2027/0001"]
    payment = pay(session, tenant, customer.id, "3.00")
    assert payments.receipt_of(session, tenant.id, payment.id).number == "RCT-2026-00001"
    with pytest.raises(ValidationFailed, match="seq"):
        setup.update_settings(session, tenant.id, {"invoice_template": "INV-{year}"})


def test_issued_invoices_cannot_change(session: Session, tenant: Tenant) -> None:
    configure(session, tenant)
    customer = make_customer(session, tenant)
    invoice = one_off(session, tenant, customer.id, "10.00")
    with pytest.raises(AppError, match="credit note"):
        invoices.add_lines(session, invoice, [LineInput(LineKind.ONE_OFF, "x", D("1"))])
    with pytest.raises(AppError, match="never deleted"):
        service.delete_draft(session, tenant.id, invoice.id)


def test_customer_currency_is_the_invoice_currency(session: Session, tenant: Tenant) -> None:
    configure(session, tenant)
    euro = customers_service.create_customer(session, tenant.id,
                                             customer_schemas.CustomerCreate(
                                                 first_name="Eu", currency="EUR"))
    invoice = one_off(session, tenant, euro.id, "10.00")
    assert invoice.currency == "EUR"
    with pytest.raises(AppError, match="billed in EUR"):
        pay(session, tenant, euro.id, "10.00")


