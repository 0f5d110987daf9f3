"""Quotes: plan lines (monthly price, contract term) and one-off items, priced and taxed by
the tenant's billing tax rules, totals in Decimal. A quote changes while it is a draft or
sent (a change takes it back to draft); an answered quote is final. Services flush only."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from functools import partial

from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import service as billing_service
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.sales import leads, schemas, tenant_settings
from dotmac_isp.modules.sales.enums import EDITABLE, LeadStage, LineKind, QuoteStatus
from dotmac_isp.modules.sales.models import Quote, QuoteLine
from dotmac_isp.modules.sales.repository import LineRepository, QuoteRepository
from dotmac_isp.modules.services import catalogue
from dotmac_isp.shared import references, sequences
from dotmac_isp.shared.errors import InvalidState, ValidationFailed
from dotmac_isp.shared.keyset import KeyOrder
from dotmac_isp.shared.pagination import Page, PageParams

NUMBER_COUNTER = "quote_number"
ORDER = KeyOrder(Quote.created_at, Quote.id)
ZERO = Decimal("0")


class QuoteFinal(InvalidState):
    """An answered quote cannot change."""

    code = "quote_final"


def format_number(value: int) -> str:
    return f"Q{value:06d}"


def get_quote(session: Session, tenant_id: uuid.UUID, quote_id: uuid.UUID) -> Quote:
    return QuoteRepository(session, tenant_id).get(quote_id)


def lock_quote(session: Session, tenant_id: uuid.UUID, quote_id: uuid.UUID) -> Quote:
    return QuoteRepository(session, tenant_id).lock(quote_id)


def lines_of(session: Session, tenant_id: uuid.UUID, quote_id: uuid.UUID) -> list[QuoteLine]:
    return LineRepository(session, tenant_id).for_quote(quote_id)


def lines_of_many(session: Session, tenant_id: uuid.UUID,
                  quote_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[QuoteLine]]:
    return LineRepository(session, tenant_id).for_quotes(quote_ids)


def quotes_of_lead(session: Session, tenant_id: uuid.UUID, lead_id: uuid.UUID) -> list[Quote]:
    return QuoteRepository(session, tenant_id).for_lead(lead_id)


def list_quotes(session: Session, tenant_id: uuid.UUID, params: PageParams, *,
                lead_id: uuid.UUID | None = None, status: str | None = None) -> Page[Quote]:
    """Newest first, paged by key."""
    repo = QuoteRepository(session, tenant_id)
    stmt = repo.select()
    if lead_id is not None:
        stmt = stmt.where(Quote.lead_id == lead_id)
    if status:
        stmt = stmt.where(Quote.status == status)
    return repo.list_by_key(params, stmt, ORDER)


def check_editable(quote: Quote) -> None:
    if QuoteStatus(quote.status) not in EDITABLE:
        raise QuoteFinal(f"quote {quote.number} is {quote.status}; an answered quote cannot "
                         "be changed (make a new quote)")


def _reopen(quote: Quote) -> None:
    """A change to a sent quote takes it back to draft: the link sent before stops working."""
    if quote.status == QuoteStatus.SENT:
        quote.status = QuoteStatus.DRAFT.value
        quote.link_nonce = None


def _check_valid_until(valid_until: date, today: date) -> None:
    if valid_until < today:
        raise ValidationFailed("valid_until: the quote would already have expired",
                               extra={"field": "valid_until"})
    if valid_until > today + timedelta(days=366):
        raise ValidationFailed("valid_until: at most a year ahead",
                               extra={"field": "valid_until"})


def create_quote(session: Session, tenant_id: uuid.UUID, data: schemas.QuoteCreate, *,
                 today: date | None = None) -> Quote:
    """A draft quote for an open lead, in the tenant's currency, with the lines given."""
    lead = references.referenced(session, partial(leads.get_lead, session, tenant_id),
                                 data.lead_id, "lead_id", "lead")
    if lead.stage in (LeadStage.WON, LeadStage.LOST):
        raise InvalidState(f"the lead is {lead.stage}; "
                           + ("take it up again first" if lead.stage == LeadStage.LOST
                              else "it has been converted"), extra={"field": "lead_id"})
    today = today or billing_service.tenant_today(session, tenant_id)
    conf = tenant_settings.sales_settings(session, tenant_id)
    valid_until = data.valid_until or today + timedelta(days=conf.quote_validity_days)
    _check_valid_until(valid_until, today)
    tenant = identity_service.get_tenant(session, tenant_id)
    number = format_number(sequences.next_value(session, tenant_id, NUMBER_COUNTER))
    quote = QuoteRepository(session, tenant_id).add(Quote(
        lead_id=lead.id, number=number, status=QuoteStatus.DRAFT.value,
        currency=tenant.currency, valid_until=valid_until, notes=data.notes.strip()))
    lines: list[QuoteLine] = []
    for line in data.lines:
        lines += _new_lines(session, quote, line, len(lines))
    session.add_all(lines)
    recompute(session, quote, lines)
    return quote


def update_quote(session: Session, tenant_id: uuid.UUID, quote_id: uuid.UUID,
                 data: schemas.QuoteUpdate, *, today: date | None = None) -> Quote:
    quote = lock_quote(session, tenant_id, quote_id)
    check_editable(quote)
    sent = data.model_dump(exclude_unset=True)
    if sent.get("valid_until") is not None:
        _check_valid_until(data.valid_until,  # type: ignore[arg-type]
                           today or billing_service.tenant_today(session, tenant_id))
        quote.valid_until = sent["valid_until"]
    if sent.get("notes") is not None:
        quote.notes = sent["notes"].strip()
    _reopen(quote)
    session.flush()
    return quote


def _new_lines(session: Session, quote: Quote, data: schemas.LineIn,
               position: int) -> list[QuoteLine]:
    """The rows one line makes: a plan brings its setup fee along as a second row."""
    common = {"tenant_id": quote.tenant_id, "quote_id": quote.id}
    if data.kind != LineKind.PLAN:
        return [QuoteLine(**common, position=position, kind=data.kind.value,
                          description=data.description.strip(), quantity=data.quantity,
                          unit_price=data.unit_price, term_months=0, taxes=[])]
    assert data.plan_id is not None
    plan = references.referenced(session, partial(catalogue.get_plan, session,
                                                  quote.tenant_id),
                                 data.plan_id, "plan_id", "plan")
    if plan.is_archived:
        raise InvalidState(f"plan {plan.name!r} is archived and can no longer be sold",
                           extra={"field": "plan_id"})
    if plan.currency != quote.currency:
        raise InvalidState(f"plan {plan.name!r} is priced in {plan.currency}; the quote is in "
                           f"{quote.currency}", extra={"field": "plan_id"})
    if data.quantity != 1:
        raise ValidationFailed("quantity: a plan line is one service; add another line for a "
                               "second", extra={"field": "quantity"})
    if data.unit_price is not None and data.unit_price != plan.price:
        raise ValidationFailed(f"unit_price: a plan is billed at its own price ({plan.price} "
                               f"{plan.currency}); make a plan for another price",
                               extra={"field": "unit_price"})
    rows = [QuoteLine(**common, position=position, kind=LineKind.PLAN.value, plan_id=plan.id,
                      description=data.description.strip() or plan.name, quantity=1,
                      unit_price=plan.price,
                      term_months=(plan.min_contract_months if data.term_months is None
                                   else data.term_months), taxes=[])]
    if plan.setup_fee > 0:
        rows.append(QuoteLine(**common, position=position + 1, kind=LineKind.SETUP.value,
                              plan_id=plan.id, description=f"Setup: {plan.name}", quantity=1,
                              unit_price=plan.setup_fee, term_months=0, taxes=[]))
    return rows


def add_line(session: Session, tenant_id: uuid.UUID, quote_id: uuid.UUID,
             data: schemas.LineIn) -> Quote:
    quote = lock_quote(session, tenant_id, quote_id)
    check_editable(quote)
    lines = lines_of(session, tenant_id, quote.id)
    if len(lines) >= 100:
        raise ValidationFailed("a quote has at most 100 lines")
    added = _new_lines(session, quote, data, len(lines))
    session.add_all(added)
    _reopen(quote)
    recompute(session, quote, lines + added)
    return quote


def remove_line(session: Session, tenant_id: uuid.UUID, quote_id: uuid.UUID,
                line_id: uuid.UUID) -> Quote:
    """Remove a line (a plan takes its setup fee with it)."""
    quote = lock_quote(session, tenant_id, quote_id)
    lines = lines_of(session, tenant_id, quote.id)
    line = next((ln for ln in lines if ln.id == line_id), None)
    if line is None:
        raise LineRepository.not_found()
    check_editable(quote)
    if line.kind == LineKind.SETUP:
        raise ValidationFailed("the setup fee goes with its plan: remove the plan line")
    gone = {line.id}
    after = next((ln for ln in lines if ln.position == line.position + 1), None)
    if line.kind == LineKind.PLAN and after is not None and after.kind == LineKind.SETUP \
            and after.plan_id == line.plan_id:
        gone.add(after.id)
    kept = [ln for ln in lines if ln.id not in gone]
    for ln in lines:
        if ln.id in gone:
            session.delete(ln)
    for position, ln in enumerate(kept):
        ln.position = position
    _reopen(quote)
    recompute(session, quote, kept)
    return quote


def recompute(session: Session, quote: Quote, lines: list[QuoteLine]) -> None:
    """Price and tax every line with the tenant's current rules; monthly and one-off totals."""
    rules = billing_service.tax_rules(session, quote.tenant_id)
    totals = {"monthly": [ZERO, ZERO, ZERO], "one_off": [ZERO, ZERO, ZERO]}
    for line in lines:
        taxed = rules.price(line.unit_price, line.quantity)
        line.net_amount, line.tax_amount, line.gross_amount = taxed.net, taxed.tax, taxed.gross
        line.taxes = taxed.breakdown
        part = totals["monthly" if line.kind == LineKind.PLAN else "one_off"]
        part[0] += taxed.net
        part[1] += taxed.tax
        part[2] += taxed.gross
    quote.prices_include_tax = rules.inclusive
    quote.monthly_subtotal, quote.monthly_tax, quote.monthly_total = totals["monthly"]
    quote.one_off_subtotal, quote.one_off_tax, quote.one_off_total = totals["one_off"]
    session.flush()


def expired(quote: Quote, today: date) -> bool:
    return quote.status == QuoteStatus.SENT and quote.valid_until < today
