"""Monthly commission statements: computed (and recomputed while draft) from the month's
payments, refunds and activations; final once approved. A recomputation that finds the same
lines writes nothing, so running the job twice changes nothing."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from dotmac_isp.modules.hotspot import wholesale
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.resellers import commissions, sources
from dotmac_isp.modules.resellers.enums import StatementStatus
from dotmac_isp.modules.resellers.models import (
    CommissionStatement,
    Reseller,
    StatementLine,
)
from dotmac_isp.modules.resellers.repository import (
    ResellerRepository,
    RuleRepository,
    StatementRepository,
)
from dotmac_isp.modules.services import catalogue
from dotmac_isp.shared.errors import Conflict
from dotmac_isp.shared.pagination import Page, PageParams
from dotmac_isp.shared.types import utcnow

ZERO = commissions.ZERO
FIELDS = ("kind", "occurred_on", "customer_id", "source_id", "invoice_id", "plan_id",
          "description", "base_amount", "percent", "amount")


def zone_of(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def month_bounds(first: date) -> tuple[date, date]:
    start = first.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following - timedelta(days=1)


def previous_month(day: date) -> date:
    """The first day of the month before the one `day` falls in."""
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def compute_lines(session: Session, tenant_id: uuid.UUID, reseller: Reseller,
                  first: date) -> list[commissions.Line]:
    tenant = identity_service.get_tenant(session, tenant_id)
    zone = zone_of(tenant.timezone)
    start, last = month_bounds(first)
    since = datetime.combine(start, time(), zone)
    until = datetime.combine(last + timedelta(days=1), time(), zone)
    rows = sources.month_rows(session, tenant_id, reseller.id, start, last, since, until)
    rules = {r.plan_id: commissions.Rule(r.percent, r.activation_amount)
             for r in RuleRepository(session, tenant_id).of_reseller(reseller.id)}
    names = {pid: plan.name for pid, plan in catalogue.plans_by_id(session, tenant_id).items()}
    return commissions.compute(rows, rules, names, tenant.currency, zone)


def refresh(session: Session, tenant_id: uuid.UUID, reseller_id: uuid.UUID,
            first: date) -> list[CommissionStatement]:
    """Bring the reseller's draft statements for the month up to date (one per currency);
    approved ones are final and left alone. Returns the statements of the month."""
    reseller = ResellerRepository(session, tenant_id).get(reseller_id, for_update=True)
    start, last = month_bounds(first)
    by_currency: dict[str, list[commissions.Line]] = {}
    for line in compute_lines(session, tenant_id, reseller, start):
        by_currency.setdefault(line.currency, []).append(line)
    repo = StatementRepository(session, tenant_id)
    existing = {s.currency: s for s in session.scalars(
        repo.select().where(CommissionStatement.reseller_id == reseller.id,
                            CommissionStatement.period_start == start)
        .options(selectinload(CommissionStatement.lines)))}
    for currency in sorted(set(by_currency) | set(existing)):
        statement = existing.get(currency)
        if statement is not None and statement.status == StatementStatus.APPROVED:
            continue
        lines = by_currency.get(currency, [])
        if statement is None:
            if not lines:
                continue
            statement = repo.add(CommissionStatement(
                reseller_id=reseller.id, period_start=start, period_end=last,
                currency=currency, status=StatementStatus.DRAFT.value, total=ZERO,
                computed_at=utcnow(), lines=[]))
            existing[currency] = statement
        _apply(session, statement, lines)
    session.flush()
    return sorted(existing.values(), key=lambda s: s.currency)


def _apply(session: Session, statement: CommissionStatement,
           lines: list[commissions.Line]) -> None:
    """Make the stored lines equal the computed ones, touching only what differs."""
    stored = {line.key: line for line in statement.lines}
    changed = False
    for position, line in enumerate(lines):
        values = {name: getattr(line, name) for name in FIELDS}
        values["kind"] = line.kind.value
        row = stored.pop(line.key, None)
        if row is None:
            statement.lines.append(StatementLine(tenant_id=statement.tenant_id, key=line.key,
                                                 position=position, **values))
            changed = True
            continue
        values["position"] = position
        for name, value in values.items():
            if getattr(row, name) != value:
                setattr(row, name, value)
                changed = True
    for gone in stored.values():
        statement.lines.remove(gone)
        changed = True
    total = sum((line.amount for line in lines), ZERO)
    if statement.total != total:
        statement.total = total
        changed = True
    if changed:
        statement.computed_at = utcnow()


def list_statements(session: Session, tenant_id: uuid.UUID, params: PageParams, *,
                    reseller_id: uuid.UUID | None = None) -> Page[CommissionStatement]:
    repo = StatementRepository(session, tenant_id)
    stmt = repo.select().order_by(CommissionStatement.period_start.desc(),
                                  CommissionStatement.currency)
    if reseller_id is not None:
        ResellerRepository(session, tenant_id).get(reseller_id)
        stmt = stmt.where(CommissionStatement.reseller_id == reseller_id)
    return repo.list(params, stmt)


def get_statement(session: Session, tenant_id: uuid.UUID, statement_id: uuid.UUID,
                  *, for_update: bool = False) -> CommissionStatement:
    repo = StatementRepository(session, tenant_id)
    stmt = (repo.select().where(CommissionStatement.id == statement_id)
            .options(selectinload(CommissionStatement.lines)))
    if for_update:
        stmt = stmt.with_for_update(of=CommissionStatement)
    found = session.scalars(stmt).one_or_none()
    if found is None:
        raise StatementRepository.not_found()
    return found


def approve(session: Session, tenant_id: uuid.UUID, statement_id: uuid.UUID,
            approved_by: str) -> CommissionStatement:
    """Make the statement final: no later run changes it."""
    statement = get_statement(session, tenant_id, statement_id, for_update=True)
    if statement.status == StatementStatus.APPROVED:
        raise Conflict("this statement is already approved")
    statement.status = StatementStatus.APPROVED.value
    statement.approved_at = utcnow()
    statement.approved_by = approved_by[:254]
    session.flush()
    return statement


def reseller_ids(session: Session, tenant_id: uuid.UUID) -> list[uuid.UUID]:
    """The resellers a statement run visits: every one with a commission rule or a voucher
    batch bought."""
    repo = RuleRepository(session, tenant_id)
    with_rules = set(session.scalars(repo.select(repo.model.reseller_id)))
    return sorted(with_rules | set(wholesale.sold_to_resellers(session, tenant_id)))


def csv_text(statement: CommissionStatement, reseller: Reseller) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["reseller", "period_start", "period_end", "currency", "status",
                     "date", "kind", "description", "base_net_of_tax", "percent", "amount"])
    for line in statement.lines:
        writer.writerow([reseller.name, statement.period_start.isoformat(),
                         statement.period_end.isoformat(), statement.currency,
                         statement.status, line.occurred_on.isoformat(), line.kind,
                         line.description, f"{line.base_amount:.2f}",
                         f"{line.percent.normalize():f}", f"{line.amount:.2f}"])
    writer.writerow([reseller.name, statement.period_start.isoformat(),
                     statement.period_end.isoformat(), statement.currency, statement.status,
                     "", "total", "", "", "", f"{statement.total:.2f}"])
    return out.getvalue()


def reseller_of(session: Session, statement: CommissionStatement) -> Reseller:
    found = session.scalar(select(Reseller).where(Reseller.id == statement.reseller_id,
                                                  Reseller.tenant_id == statement.tenant_id))
    assert found is not None  # the foreign key keeps it
    return found
