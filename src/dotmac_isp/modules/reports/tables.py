"""Tabular reports over a date range: revenue by plan, receivables aging, tax summary, churn,
top usage. Each is one or two grouped queries; rows are plain values ready for CSV."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing.enums import OPEN_STATUSES
from dotmac_isp.modules.billing.models import Invoice, InvoiceLine
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.radius.models import RadAcct
from dotmac_isp.modules.reports.dashboard import money
from dotmac_isp.modules.reports.periods import Clock, add_months, month_label
from dotmac_isp.modules.services.models import Plan, Subscription
from dotmac_isp.shared.money import round_money

BILLED = ("issued", "partially_paid", "paid", "overdue")
# Days past due as of the end date; an invoice due that day is not yet overdue.
AGING_BUCKETS = (("not yet due", None, 0), ("1-30 days", 1, 30), ("31-60 days", 31, 60),
                 ("61-90 days", 61, 90), ("90+ days", 91, None))
TOP_USAGE_ROWS = 20


@dataclass
class Table:
    columns: list[str]
    rows: list[list[Any]]

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.columns)
        writer.writerows(self.rows)
        return out.getvalue()


def _months(start: date, end: date) -> list[date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = add_months(month, 1)
    return months


def revenue_by_plan(session: Session, tenant: Tenant, start: date, end: date) -> Table:
    """Net invoiced per plan and month (issue date), of invoices issued in the range."""
    rows = session.execute(
        select(Plan.name, Invoice.issue_date, func.sum(InvoiceLine.net_amount))
        .select_from(InvoiceLine)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .join(Subscription, Subscription.id == InvoiceLine.subscription_id)
        .join(Plan, Plan.id == Subscription.plan_id)
        .where(InvoiceLine.tenant_id == tenant.id, Invoice.tenant_id == tenant.id,
               Invoice.currency == tenant.currency, Invoice.status.in_(BILLED),
               Invoice.issue_date >= start, Invoice.issue_date <= end)
        .group_by(Plan.name, Invoice.issue_date)).all()
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for plan, issued, net in rows:
        if issued is None:  # excluded by the range filter; keeps the type narrow
            continue
        totals[(month_label(issued), plan)] += Decimal(str(net or 0))
    return Table(["month", "plan", f"net revenue ({tenant.currency})"],
                 [[m, p, round_money(v)] for (m, p), v in sorted(totals.items())])


def receivables_aging(session: Session, tenant: Tenant, start: date, end: date) -> Table:
    """Open invoices by days past due as of the range's end date."""
    due = Invoice.total - Invoice.amount_paid - Invoice.amount_credited
    columns = []
    for _label, low, high in AGING_BUCKETS:
        cond = []
        if low is not None:
            cond.append(Invoice.due_date <= end - timedelta(days=low))
        if high is not None:
            cond.append(Invoice.due_date >= end - timedelta(days=high))
        columns += [func.coalesce(func.sum(case((and_(*cond), 1), else_=0)), 0),
                    func.coalesce(func.sum(case((and_(*cond), due), else_=0)), 0)]
    row = session.execute(select(*columns).where(
        Invoice.tenant_id == tenant.id, Invoice.currency == tenant.currency,
        Invoice.status.in_([s.value for s in OPEN_STATUSES]),
        Invoice.due_date.is_not(None))).one()
    return Table(["age", "invoices", f"amount due ({tenant.currency})"],
                 [[label, int(row[2 * i]), money(row[2 * i + 1])]
                  for i, (label, _low, _high) in enumerate(AGING_BUCKETS)])


def tax_summary(session: Session, tenant: Tenant, start: date, end: date) -> Table:
    """Tax base and tax per rate and month, from the invoices issued in the range."""
    rows = session.execute(select(Invoice.issue_date, Invoice.tax_summary).where(
        Invoice.tenant_id == tenant.id, Invoice.currency == tenant.currency,
        Invoice.status.in_(BILLED), Invoice.issue_date >= start,
        Invoice.issue_date <= end)).all()
    sums: dict[tuple[str, str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 2)
    for issued, summary in rows:
        for tax in summary or []:
            key = (month_label(issued), str(tax.get("name", "")), str(tax.get("rate", "")))
            sums[key][0] += Decimal(str(tax.get("base", "0")))
            sums[key][1] += Decimal(str(tax.get("amount", "0")))
    return Table(["month", "tax", "rate %", f"taxable base ({tenant.currency})",
                  f"tax ({tenant.currency})"],
                 [[*key, round_money(b), round_money(t)] for key, (b, t) in sorted(sums.items())])


def churn(session: Session, tenant: Tenant, start: date, end: date, clock: Clock) -> Table:
    """Per month: live subscriptions at its start, activations, terminations, churn rate."""
    months = _months(start, end)
    cols = []
    for month in months:
        begin, stop = clock.utc(month), clock.utc(add_months(month, 1))
        live = and_(Subscription.activated_at < begin,
                    (Subscription.terminated_at.is_(None)) | (Subscription.terminated_at >= begin))
        new = and_(Subscription.activated_at >= begin, Subscription.activated_at < stop)
        gone = and_(Subscription.terminated_at >= begin, Subscription.terminated_at < stop)
        for cond in (live, new, gone):
            cols.append(func.coalesce(func.sum(case((cond, 1), else_=0)), 0))
    row = session.execute(select(*cols).where(Subscription.tenant_id == tenant.id)).one() \
        if months else ()
    table = Table(["month", "live at start", "activated", "terminated", "churn %"], [])
    for i, month in enumerate(months):
        live_n, new_n, gone_n = (int(row[3 * i + k]) for k in range(3))
        rate = (Decimal(gone_n * 100) / live_n).quantize(Decimal("0.01")) if live_n else ""
        table.rows.append([month_label(month), live_n, new_n, gone_n, rate])
    return table


def top_usage(session: Session, tenant: Tenant, start: date, end: date, clock: Clock) -> Table:
    """The heaviest RADIUS users by octets of sessions started in the range."""
    down = func.coalesce(func.sum(RadAcct.acctoutputoctets), 0)
    up = func.coalesce(func.sum(RadAcct.acctinputoctets), 0)
    rows = session.execute(
        select(RadAcct.username, func.count(), down, up)
        .where(RadAcct.tenant_id == tenant.id, RadAcct.acctstarttime >= clock.utc(start),
               RadAcct.acctstarttime < clock.utc(end + timedelta(days=1)))
        .group_by(RadAcct.username).order_by((down + up).desc(), RadAcct.username)
        .limit(TOP_USAGE_ROWS)).all()
    return Table(["username", "sessions", "download bytes", "upload bytes", "total bytes"],
                 [[u, int(n), int(d or 0), int(p or 0), int(d or 0) + int(p or 0)]
                  for u, n, d, p in rows])


@dataclass(frozen=True)
class Report:
    slug: str
    title: str
    permission: str
    build: Callable[[Session, Tenant, date, date, Clock], Table]


def _plain(fn: Callable[[Session, Tenant, date, date], Table]
           ) -> Callable[[Session, Tenant, date, date, Clock], Table]:
    return lambda session, tenant, start, end, _clock: fn(session, tenant, start, end)


REPORTS: dict[str, Report] = {r.slug: r for r in (
    Report("revenue", "Revenue by plan and month", "billing:read", _plain(revenue_by_plan)),
    Report("aging", "Receivables aging (as of the end date)", "billing:read",
           _plain(receivables_aging)),
    Report("tax", "Tax summary per rate and month", "billing:read", _plain(tax_summary)),
    Report("churn", "Churn by month", "services:read", churn),
    Report("usage", "Top usage", "network:read", top_usage),
)}


def run_report(session: Session, tenant: Tenant, slug: str, start: date, end: date,
               clock: Clock) -> Table:
    """The named report's table for the tenant over [start, end] (local dates)."""
    return REPORTS[slug].build(session, tenant, start, end, clock)


