"""The figures and charts of the staff dashboard, each one aggregate query per concern.

Reads other domains' tables directly: a read-only projection across domains, so the
dashboard costs a fixed handful of queries however many rows there are.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing.enums import OPEN_STATUSES
from dotmac_isp.modules.billing.models import Invoice, Payment
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.inventory import service as inventory_service
from dotmac_isp.modules.network.devices.models import Device
from dotmac_isp.modules.network.ipam.models import Pool
from dotmac_isp.modules.network.ipam.utilization import layout_of
from dotmac_isp.modules.network.radius import health as radius_health
from dotmac_isp.modules.network.radius.models import RadAcct
from dotmac_isp.modules.reports.periods import Clock, add_months, month_label
from dotmac_isp.modules.services.enums import BillingCycle
from dotmac_isp.modules.services.models import Plan, Subscription
from dotmac_isp.modules.support.enums import ACTIVE as ACTIVE_TICKETS
from dotmac_isp.modules.support.models import Ticket
from dotmac_isp.shared.money import round_money
from dotmac_isp.shared.types import utcnow

CHART_MONTHS = 12
CHART_HOURS = 24
TICKET_SLA_STATES = ("breached", "at_risk", "paused")


def money(value: Any) -> Decimal:
    """A summed Numeric as Decimal (SQLite returns floats), rounded to cents."""
    return round_money(Decimal(str(value or 0)))


@dataclass(frozen=True)
class PoolFill:
    id: uuid.UUID
    name: str
    network: str
    used: int
    total: int

    @property
    def percent(self) -> float:
        return round(self.used * 100 / self.total, 1) if self.total else 100.0


@dataclass
class Dashboard:
    currency: str
    timezone: str
    now: datetime
    subscribers_by_state: dict[str, int] = field(default_factory=dict)
    new_this_month: int = 0
    churned_this_month: int = 0
    month_start: date | None = None  # the tenant's dates the month's figures run between
    today: date | None = None
    mrr: Decimal = Decimal("0.00")
    mrr_last_month: Decimal = Decimal("0.00")
    collected_this_month: Decimal = Decimal("0.00")
    overdue_count: int = 0
    overdue_amount: Decimal = Decimal("0.00")
    payments_today_count: int = 0
    payments_today_amount: Decimal = Decimal("0.00")
    sessions_online: int = 0
    devices_down: int = 0
    nas_down: int = 0
    nas_total: int = 0
    tickets_open: int = 0
    tickets_by_sla: dict[str, int] = field(default_factory=dict)
    low_stock: int = 0
    pools_near_full: list[PoolFill] = field(default_factory=list)
    revenue_by_month: list[tuple[str, Decimal]] = field(default_factory=list)
    subscribers_by_month: list[tuple[str, int]] = field(default_factory=list)
    sessions_by_hour: list[tuple[str, int]] = field(default_factory=list)

    @property
    def mrr_change(self) -> Decimal:
        return self.mrr - self.mrr_last_month


def _live_at(moment: datetime) -> ColumnElement[bool]:
    """A subscription that had been activated and not yet terminated at `moment`."""
    return and_(Subscription.activated_at.is_not(None), Subscription.activated_at <= moment,
                or_(Subscription.terminated_at.is_(None), Subscription.terminated_at > moment))


def _count_if(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _subscriptions(session: Session, tenant_id: uuid.UUID, clock: Clock, dash: Dashboard) -> None:
    rows = session.execute(select(Subscription.status, func.count())
                           .where(Subscription.tenant_id == tenant_id)
                           .group_by(Subscription.status)).all()
    dash.subscribers_by_state = {status: int(n) for status, n in sorted(rows)}
    since = clock.utc(clock.month_start)
    ends = [clock.utc(add_months(m, 1)) for m in clock.months_back(CHART_MONTHS)]
    ends[-1] = clock.now
    row = session.execute(select(
        _count_if(and_(Subscription.activated_at >= since, Subscription.activated_at <= clock.now)),
        _count_if(and_(Subscription.terminated_at >= since,
                       Subscription.terminated_at <= clock.now)),
        *(_count_if(_live_at(end)) for end in ends),
    ).where(Subscription.tenant_id == tenant_id)).one()
    dash.new_this_month, dash.churned_this_month = int(row[0]), int(row[1])
    dash.month_start, dash.today = clock.month_start, clock.today
    dash.subscribers_by_month = [(month_label(m), int(n)) for m, n in
                                 zip(clock.months_back(CHART_MONTHS), row[2:], strict=True)]


def monthly_price_sums(session: Session, tenant_id: uuid.UUID, currency: str,
                       moments: list[datetime]) -> list[Decimal]:
    """Monthly recurring revenue (plan price per month) of the live subscriptions at each
    moment, in one query grouped by billing cycle."""
    stmt = (select(Plan.billing_cycle, *(func.coalesce(func.sum(case((_live_at(m), Plan.price),
                                                                    else_=0)), 0)
                                         for m in moments))
            .select_from(Subscription).join(Plan, Plan.id == Subscription.plan_id)
            .where(Subscription.tenant_id == tenant_id, Plan.currency == currency)
            .group_by(Plan.billing_cycle))
    totals = [Decimal("0")] * len(moments)
    for cycle, *sums in session.execute(stmt).all():
        months = BillingCycle(cycle).months
        totals = [t + Decimal(str(s or 0)) / months for t, s in zip(totals, sums, strict=True)]
    return [round_money(t) for t in totals]


def _billing(session: Session, tenant_id: uuid.UUID, clock: Clock, dash: Dashboard) -> None:
    dash.mrr, dash.mrr_last_month = monthly_price_sums(
        session, tenant_id, dash.currency, [clock.now, clock.utc(clock.month_start)])
    months = clock.months_back(CHART_MONTHS)
    paid = Payment.received_on
    row = session.execute(select(
        func.coalesce(func.sum(case((paid == clock.today, Payment.amount), else_=0)), 0),
        _count_if(paid == clock.today),
        *(func.coalesce(func.sum(case((and_(paid >= m, paid < add_months(m, 1)), Payment.amount),
                                      else_=0)), 0) for m in months),
    ).where(Payment.tenant_id == tenant_id, Payment.currency == dash.currency,
            paid >= months[0])).one()
    dash.payments_today_amount, dash.payments_today_count = money(row[0]), int(row[1])
    dash.revenue_by_month = [(month_label(m), money(v)) for m, v in zip(months, row[2:],
                                                                        strict=True)]
    dash.collected_this_month = dash.revenue_by_month[-1][1]
    due = Invoice.total - Invoice.amount_paid - Invoice.amount_credited
    count, amount = session.execute(select(func.count(), func.coalesce(func.sum(due), 0)).where(
        Invoice.tenant_id == tenant_id, Invoice.currency == dash.currency,
        Invoice.status.in_([s.value for s in OPEN_STATUSES]),
        Invoice.due_date < clock.today)).one()
    dash.overdue_count, dash.overdue_amount = int(count), money(amount)


def _network(session: Session, tenant_id: uuid.UUID, clock: Clock, dash: Dashboard) -> None:
    hours = clock.hours_back(CHART_HOURS)
    online_at = [and_(RadAcct.acctstarttime <= h,
                      or_(RadAcct.acctstoptime.is_(None), RadAcct.acctstoptime > h))
                 for h in hours[:-1]]
    cutoff = clock.now - radius_health.SILENT_AFTER
    # One pass over the day's sessions, per NAS: the sessions chart, and when each NAS was
    # last heard (every row that can say so is in the window: a 30-minute one inside 24 h).
    heard_at = func.max(case((radius_health.heard_in(cutoff), RadAcct.changed_at)))
    per_nas = session.execute(select(
        RadAcct.nas_id, heard_at, _count_if(RadAcct.acctstoptime.is_(None)),
        *(_count_if(c) for c in online_at),
    ).where(RadAcct.tenant_id == tenant_id,
            or_(RadAcct.acctstoptime.is_(None), RadAcct.acctstoptime > hours[0]))
        .group_by(RadAcct.nas_id)).all()
    sums = [sum(int(r[i]) for r in per_nas) for i in range(2, 2 + len(hours))]
    dash.sessions_online = sums[0]
    counts = [*sums[1:], dash.sessions_online]
    dash.sessions_by_hour = [(clock.hour_label(h), n) for h, n in zip(hours, counts, strict=True)]
    heard = {r[0]: r[1] for r in per_nas if r[0] is not None and r[1] is not None}
    dash.devices_down = int(session.scalar(select(func.count()).where(
        Device.tenant_id == tenant_id, Device.reachability == "down")) or 0)
    nas = radius_health.nas_health(session, tenant_id, clock.now, heard)
    dash.nas_total, dash.nas_down = len(nas), sum(1 for n in nas if n.down)
    pools = session.scalars(select(Pool).where(Pool.tenant_id == tenant_id)
                            .order_by(Pool.name)).all()
    fills = [(p, layout_of(p).capacity) for p in pools]
    dash.pools_near_full = [PoolFill(p.id, p.name, p.network, p.allocated_count, total)
                            for p, total in fills
                            if p.allocated_count * 100 >= p.alert_threshold_percent * total]


def _support(session: Session, tenant_id: uuid.UUID, dash: Dashboard) -> None:
    def either(state: str) -> ColumnElement[bool]:
        return or_(Ticket.first_response_state == state, Ticket.resolution_state == state)

    row = session.execute(select(func.count(), *(_count_if(either(s)) for s in TICKET_SLA_STATES))
                          .where(Ticket.tenant_id == tenant_id,
                                 Ticket.status.in_([s.value for s in ACTIVE_TICKETS]))).one()
    dash.tickets_open = int(row[0])
    dash.tickets_by_sla = {s: int(n) for s, n in zip(TICKET_SLA_STATES, row[1:], strict=True)}


def build_dashboard(session: Session, tenant: Tenant, permissions: frozenset[str] | set[str],
                    now: datetime | None = None) -> Dashboard:
    """Every figure the signed-in user may see, for the tenant, in its currency and time zone."""
    clock = Clock.of(now or utcnow(), tenant.timezone)
    dash = Dashboard(currency=tenant.currency, timezone=tenant.timezone, now=clock.now)
    if "services:read" in permissions:
        _subscriptions(session, tenant.id, clock, dash)
    if "billing:read" in permissions:
        _billing(session, tenant.id, clock, dash)
    if "network:read" in permissions:
        _network(session, tenant.id, clock, dash)
    if "support:read" in permissions:
        _support(session, tenant.id, dash)
    if "inventory:read" in permissions:
        dash.low_stock = inventory_service.low_stock_count(session, tenant.id)
    return dash
