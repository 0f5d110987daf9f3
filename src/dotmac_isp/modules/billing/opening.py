"""Opening balances: what each customer owed, or had in credit, in the system the ISP moves
from. A debt becomes an issued invoice with one opening-balance line, dated as_of; a credit
becomes an unallocated payment (with its receipt), which the first invoices use up. Either
way the customer's ledger balance moves by exactly the amount.

One opening balance per customer; the reference makes an import idempotent (the same line
again is reported as a duplicate and changes nothing). Lines are checked and reported like
the other imports: bad lines store nothing, good ones go in together. A few statements per
import, whatever its length (numbers are taken per month of the as_of dates).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import invoices, numbering, payments, setup
from dotmac_isp.modules.billing.enums import OPEN_STATUSES, DocumentKind, LineKind
from dotmac_isp.modules.billing.invoices import LineInput
from dotmac_isp.modules.billing.models import (
    Invoice,
    InvoiceLine,
    OpeningBalance,
    Payment,
    Receipt,
)
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.shared.csv_import import (
    ImportReport,
    LineReport,
    LineStatus,
    build_report,
    complete_records,
    parse_date,
)
from dotmac_isp.shared.money import round_money
from dotmac_isp.shared.types import utcnow

COLUMNS = ["customer", "amount", "as_of", "reference"]
METHOD = "opening_balance"  # the payment method of an opening credit (never sent by users)
MAX_AMOUNT = Decimal("100000000")
ZERO = Decimal("0")


@dataclass
class _Line:
    line: int
    customer_key: str
    amount: Decimal
    as_of: date
    reference: str
    customer: Customer | None = None


def _parse(line: int, row: dict[str, str], today: date) -> _Line:
    errors = []
    if not row.get("customer"):
        errors.append("customer: required")
    reference = row.get("reference") or ""
    if not reference or len(reference) > 100:
        errors.append("reference: required, at most 100 characters")
    amount = Decimal("0")
    try:
        amount = Decimal((row.get("amount") or "").replace(",", ""))
        if not amount.is_finite():
            raise InvalidOperation
        if amount == 0:
            errors.append("amount: zero needs no opening balance")
        elif round_money(amount) != amount:
            errors.append("amount: more than two decimal places")
        elif abs(amount) >= MAX_AMOUNT:
            errors.append("amount: too large")
    except InvalidOperation:
        errors.append(f"amount: {row.get('amount')!r} is not a number (e.g. 120.50 or -15.00)")
    as_of = today
    try:
        as_of = parse_date(row.get("as_of") or "", "as_of")
        if as_of > today:
            errors.append(f"as_of: {as_of} is in the future")
    except ValueError as exc:
        errors.append(str(exc))
    if errors:
        raise ValueError("\n".join(errors))
    return _Line(line, row.get("customer") or "", round_money(amount), as_of, reference)


def _earlier(session: Session, tenant_id: uuid.UUID, references: list[str],
             customer_ids: list[uuid.UUID]) -> list[OpeningBalance]:
    found: list[OpeningBalance] = []
    for start in range(0, max(len(references), len(customer_ids)), 1000):
        refs, ids = references[start:start + 1000], customer_ids[start:start + 1000]
        found.extend(session.scalars(select(OpeningBalance).where(
            OpeningBalance.tenant_id == tenant_id,
            or_(OpeningBalance.reference.in_(refs), OpeningBalance.customer_id.in_(ids)))))
    return found


def import_opening_balances(session: Session, tenant_id: uuid.UUID, text: str, *,
                            dry_run: bool = False) -> ImportReport:
    """Import opening balances from CSV text (customer, amount, as_of, reference)."""
    tenant = identity_service.get_tenant(session, tenant_id)
    today = utcnow().astimezone(ZoneInfo(tenant.timezone)).date()
    reports: list[LineReport] = []
    parsed: list[_Line] = []
    for line, row in complete_records(text, COLUMNS, COLUMNS, reports):
        try:
            parsed.append(_parse(line, row, today))
        except ValueError as exc:
            reports.append(LineReport(line=line, status=LineStatus.ERROR,
                                      key=row.get("reference") or "",
                                      messages=str(exc).split("\n")))
    customers = customers_service.find_by_number_or_email(
        session, tenant_id, [x.customer_key for x in parsed])
    ids = [c.id for c in customers.values() if isinstance(c, Customer)]
    earlier = _earlier(session, tenant_id, [x.reference for x in parsed], ids)
    by_reference = {o.reference: o for o in earlier}
    by_customer = {o.customer_id: o for o in earlier}
    seen_refs: dict[str, int] = {}
    seen_customers: dict[uuid.UUID, int] = {}
    good: list[_Line] = []
    for x in parsed:
        report = _check(x, customers[x.customer_key], by_reference, by_customer, seen_refs,
                        seen_customers)
        reports.append(report)
        if report.status == LineStatus.OK:
            good.append(x)
    if good and not dry_run:
        _store(session, tenant_id, today, good)
    return build_report(reports, dry_run=dry_run)


def _check(x: _Line, customer: Customer | str, by_reference: dict[str, OpeningBalance],
           by_customer: dict[uuid.UUID, OpeningBalance], seen_refs: dict[str, int],
           seen_customers: dict[uuid.UUID, int]) -> LineReport:
    def error(message: str) -> LineReport:
        return LineReport(line=x.line, status=LineStatus.ERROR, key=x.reference,
                          messages=[message])

    if isinstance(customer, str):
        return error(customer)
    if x.reference in seen_refs:
        return error(f"reference: {x.reference} is also on line {seen_refs[x.reference]}")
    if customer.id in seen_customers:
        return error(f"customer: {customer.number} is also on line "
                     f"{seen_customers[customer.id]}")
    seen_refs[x.reference], seen_customers[customer.id] = x.line, x.line
    done = by_reference.get(x.reference)
    if done is not None:
        if done.customer_id == customer.id and done.amount == x.amount:
            return LineReport(line=x.line, status=LineStatus.DUPLICATE, key=x.reference,
                              messages=[f"{x.reference} is already imported"])
        return error(f"reference: {x.reference} was imported for another customer or amount")
    other = by_customer.get(customer.id)
    if other is not None:
        return error(f"customer: {customer.number} already has opening balance "
                     f"{other.reference}")
    if customer.status == "closed":
        return error(f"customer: {customer.number} is closed")
    x.customer = customer
    return LineReport(line=x.line, status=LineStatus.OK, key=x.reference)


def _numbers(session: Session, tenant_id: uuid.UUID, kind: DocumentKind,
             days: list[date]) -> list[str]:
    """Document numbers for documents dated `days`, taken per month (one counter each)."""
    settings = setup.billing_settings(session, tenant_id)
    by_month: dict[tuple[int, int], list[int]] = defaultdict(list)
    for n, day in enumerate(days):
        by_month[(day.year, day.month)].append(n)
    out = [""] * len(days)
    for (year, month), positions in sorted(by_month.items()):
        taken = numbering.next_numbers(session, settings, kind, date(year, month, 1),
                                       len(positions))
        for position, number in zip(positions, taken, strict=True):
            out[position] = number
    return out


def _store(session: Session, tenant_id: uuid.UUID, today: date, lines: list[_Line]) -> None:
    settings = setup.billing_settings(session, tenant_id)
    debts = [x for x in lines if x.amount > 0]
    credits = [x for x in lines if x.amount < 0]
    now = utcnow()
    docs: list[Invoice | Payment | Receipt] = []
    balances: list[OpeningBalance] = []
    for x, number in zip(debts, _numbers(session, tenant_id, DocumentKind.INVOICE,
                                         [x.as_of for x in debts]), strict=True):
        assert x.customer is not None
        priced = invoices.price_line(LineInput(
            kind=LineKind.OPENING_BALANCE, description=f"Opening balance ({x.reference})",
            unit_price=x.amount), [], False)
        invoice = Invoice(
            id=uuid.uuid4(), tenant_id=tenant_id, customer_id=x.customer.id, number=number,
            status="issued", currency=x.customer.currency, issue_date=x.as_of,
            due_date=x.as_of + timedelta(days=settings.payment_terms_days), issued_at=now,
            notes=f"Opening balance {x.reference}", amount_paid=ZERO, amount_credited=ZERO,
            **invoices.totals([priced]))
        invoice.lines = [InvoiceLine(tenant_id=tenant_id, position=0, **priced)]
        invoices.refresh_status(invoice, today)
        docs.append(invoice)
        balances.append(_balance(tenant_id, x, invoice_id=invoice.id))
    days = [x.as_of for x in credits]
    pay_numbers = _numbers(session, tenant_id, DocumentKind.PAYMENT, days)
    receipt_numbers = _numbers(session, tenant_id, DocumentKind.RECEIPT, days)
    for x, number, receipt in zip(credits, pay_numbers, receipt_numbers, strict=True):
        assert x.customer is not None
        payment = Payment(
            id=uuid.uuid4(), tenant_id=tenant_id, customer_id=x.customer.id, number=number,
            method=METHOD, amount=-x.amount, currency=x.customer.currency,
            received_on=x.as_of, reference=x.reference, gateway="", amount_allocated=ZERO,
            amount_refunded=ZERO,
            notes="Credit carried over as opening balance")
        docs.extend([payment, Receipt(tenant_id=tenant_id, payment_id=payment.id,
                                      number=receipt)])
        balances.append(_balance(tenant_id, x, payment_id=payment.id))
    session.add_all(docs)
    session.flush()  # the opening-balance rows refer to these documents
    session.add_all(balances)
    session.flush()
    _use_credit(session, tenant_id, today, [x.customer.id for x in credits if x.customer])


def _balance(tenant_id: uuid.UUID, x: _Line, *, invoice_id: uuid.UUID | None = None,
             payment_id: uuid.UUID | None = None) -> OpeningBalance:
    assert x.customer is not None
    return OpeningBalance(tenant_id=tenant_id, customer_id=x.customer.id,
                          reference=x.reference, amount=x.amount,
                          currency=x.customer.currency, as_of_date=x.as_of,
                          invoice_id=invoice_id, payment_id=payment_id)


def _use_credit(session: Session, tenant_id: uuid.UUID, today: date,
                customer_ids: list[uuid.UUID]) -> None:
    """An opening credit pays invoices already open here (rare in a move: one query to find
    them, then the usual allocation for just those customers)."""
    owing: set[uuid.UUID] = set()
    for start in range(0, len(customer_ids), 1000):
        owing.update(session.scalars(select(Invoice.customer_id).where(
            Invoice.tenant_id == tenant_id,
            Invoice.customer_id.in_(customer_ids[start:start + 1000]),
            Invoice.status.in_([s.value for s in OPEN_STATUSES]))))
    for customer_id in sorted(owing):
        payments.apply_credit(session, tenant_id, customer_id, today)
