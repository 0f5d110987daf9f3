"""Bank statement import: money received is matched to customers by an invoice number or a
customer number in the reference and recorded as a bank-transfer payment; the rest waits for
someone to match it by hand. Importing the same statement twice records nothing new."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from functools import partial

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import service
from dotmac_isp.modules.billing.bank_csv import ColumnMapping, StatementLine, read_statement
from dotmac_isp.modules.billing.bank_models import BankStatementLine
from dotmac_isp.modules.billing.enums import BankLineStatus, PaymentMethod
from dotmac_isp.modules.billing.models import Invoice
from dotmac_isp.modules.billing.payments import PaymentInput
from dotmac_isp.modules.billing.repository import InvoiceRepository
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.shared import references
from dotmac_isp.shared.errors import AppError, Conflict, ValidationFailed
from dotmac_isp.shared.pagination import Page, PageParams
from dotmac_isp.shared.tenancy import TenantRepository

S = BankLineStatus
_TOKEN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9/_.-]*[A-Za-z0-9])?")


class BankLineRepository(TenantRepository[BankStatementLine]):
    model = BankStatementLine
    not_found_message = "bank statement line not found"


@dataclass(frozen=True)
class ImportResult:
    import_id: uuid.UUID
    lines: int  # bookings in the file
    matched: int  # payments recorded now
    unmatched: int  # waiting for manual matching
    ignored: int  # money out
    already_imported: int  # bookings an earlier import stored


@dataclass(frozen=True)
class _Found:
    customer_id: uuid.UUID | None
    matched_by: str
    note: str


def _tokens(reference: str) -> set[str]:
    return {t.upper() for t in _TOKEN.findall(reference)}


class _Matcher:
    """Finds the customer a reference names, with one query per kind of number per import."""

    def __init__(self, session: Session, tenant_id: uuid.UUID, references: list[str]):
        tokens = set().union(*(_tokens(r) for r in references)) if references else set()
        wanted = sorted(tokens)
        self.invoices: dict[str, uuid.UUID] = {}
        repo = InvoiceRepository(session, tenant_id)
        for start in range(0, len(wanted), 1000):
            chunk = wanted[start:start + 1000]
            for number, customer_id in session.execute(
                    repo.select(Invoice.number, Invoice.customer_id)
                    .where(Invoice.number.in_(chunk))):
                self.invoices[str(number).upper()] = customer_id
        numbers = [t for t in wanted if re.fullmatch(r"C\d{4,}", t)]
        self.customers = {number.upper(): (c.id, c.currency) for number, c in
                          customers_service.customers_by_number(session, tenant_id,
                                                                numbers).items()}
        self.currency = {cid: cur for cid, cur in self.customers.values()}
        ids = list(set(self.invoices.values()) - set(self.currency))
        for cid, (currency, _exempt) in customers_service.billing_facts(
                session, tenant_id, ids).items():
            self.currency[cid] = currency

    def find(self, line: StatementLine) -> _Found:
        if line.amount <= 0:
            return _Found(None, "", "money out is not a customer payment")
        tokens = _tokens(line.reference)
        by_invoice = {self.invoices[t] for t in tokens if t in self.invoices}
        by_number = {self.customers[t][0] for t in tokens if t in self.customers}
        named = by_invoice | by_number
        if not named:
            return _Found(None, "", "no invoice or customer number in the reference")
        if len(named) > 1:
            return _Found(None, "", "the reference names more than one customer")
        customer_id = named.pop()
        if self.currency.get(customer_id) != line.currency:
            return _Found(None, "", f"the customer is billed in {self.currency.get(customer_id)}"
                                    f", the booking is in {line.currency}")
        return _Found(customer_id, "invoice" if by_invoice else "customer", "")


def _payment_input(line: BankStatementLine, customer_id: uuid.UUID,
                   currency: str) -> PaymentInput:
    return PaymentInput(customer_id=customer_id, method=PaymentMethod.BANK_TRANSFER,
                        amount=line.amount, currency=currency, received_on=line.booked_date,
                        reference=(line.reference or f"bank statement line {line.line_number}"
                                   )[:100],
                        idempotency_key=f"bank:{line.fingerprint}")


def _record(session: Session, tenant_id: uuid.UUID, line: BankStatementLine,
            customer_id: uuid.UUID, matched_by: str) -> None:
    currency = customers_service.get_customer(session, tenant_id, customer_id).currency
    payment, _created = service.receive_payment_once(
        session, tenant_id, _payment_input(line, customer_id, currency))
    line.status, line.matched_by, line.note = S.MATCHED.value, matched_by, ""
    line.customer_id, line.payment_id = customer_id, payment.id


def import_statement(session: Session, tenant_id: uuid.UUID, content: bytes,
                     mapping: ColumnMapping) -> ImportResult:
    """Store every new booking of the statement and record the payments it can match."""
    default_currency = mapping.currency or identity_service.get_tenant(session,
                                                                        tenant_id).currency
    parsed = read_statement(content, mapping, default_currency)
    known: set[str] = set()
    prints = [p.fingerprint for p in parsed]
    for start in range(0, len(prints), 1000):
        known.update(session.scalars(BankLineRepository(session, tenant_id).select(
            BankStatementLine.fingerprint).where(
                BankStatementLine.fingerprint.in_(prints[start:start + 1000]))))
    fresh = [p for p in parsed if p.fingerprint not in known]
    matcher = _Matcher(session, tenant_id, [p.reference for p in fresh])
    import_id = uuid.uuid4()
    counts = {s: 0 for s in S}
    already = len(parsed) - len(fresh)
    for item in fresh:
        found = matcher.find(item)
        status = S.IGNORED if item.amount <= 0 else S.UNMATCHED
        line = BankStatementLine(
            tenant_id=tenant_id, import_id=import_id, line_number=item.line_number,
            booked_date=item.booked_date, amount=item.amount, currency=item.currency,
            reference=item.reference, fingerprint=item.fingerprint, status=status.value,
            note=found.note)
        try:
            with session.begin_nested():  # a concurrent import of the same file stored it
                session.add(line)
        except IntegrityError:
            already += 1
            continue
        if found.customer_id is not None:
            try:
                with session.begin_nested():
                    _record(session, tenant_id, line, found.customer_id, found.matched_by)
            except AppError as exc:
                line.note = exc.detail[:300]
        counts[S(line.status)] += 1
    session.flush()
    return ImportResult(import_id, len(parsed), counts[S.MATCHED], counts[S.UNMATCHED],
                        counts[S.IGNORED], already)


def list_lines(session: Session, tenant_id: uuid.UUID, params: PageParams, *,
               status: str | None = None,
               import_id: uuid.UUID | None = None) -> Page[BankStatementLine]:
    repo = BankLineRepository(session, tenant_id)
    stmt = repo.select()
    if status:
        stmt = stmt.where(BankStatementLine.status == status)
    if import_id:
        stmt = stmt.where(BankStatementLine.import_id == import_id)
    return repo.list(params, stmt.order_by(BankStatementLine.booked_date.desc(),
                                           BankStatementLine.import_id,
                                           BankStatementLine.line_number))


def get_line(session: Session, tenant_id: uuid.UUID, line_id: uuid.UUID) -> BankStatementLine:
    return BankLineRepository(session, tenant_id).get(line_id)


def match_line(session: Session, tenant_id: uuid.UUID, line_id: uuid.UUID,
               customer_id: uuid.UUID) -> BankStatementLine:
    """Name the customer of a booking by hand; records the bank-transfer payment."""
    line = BankLineRepository(session, tenant_id).get(line_id, for_update=True)
    if line.status == S.MATCHED:
        raise Conflict("this booking is already matched to a payment")
    if line.amount <= 0:
        raise ValidationFailed("money out cannot be matched to a customer payment")
    references.referenced(session, partial(customers_service.get_customer, session, tenant_id),
                          customer_id, "customer_id", "customer")
    _record(session, tenant_id, line, customer_id, "manual")
    session.flush()
    return line


def ignore_line(session: Session, tenant_id: uuid.UUID, line_id: uuid.UUID,
                reason: str = "") -> BankStatementLine:
    """Set a booking aside: it is no customer payment."""
    line = BankLineRepository(session, tenant_id).get(line_id, for_update=True)
    if line.status == S.MATCHED:
        raise Conflict("this booking recorded a payment; refund the payment instead")
    line.status, line.note = S.IGNORED.value, (reason.strip() or "set aside by hand")[:300]
    session.flush()
    return line

