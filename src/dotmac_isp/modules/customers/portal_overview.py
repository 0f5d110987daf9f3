"""What the portal's home and usage pages show a customer, read through each domain's
service and only for the signed-in customer's own subscriptions and invoices.

A usage period is the calendar month (UTC), the period the data cap counts in."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import service as billing_service
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.network.ipam import service as ipam_service
from dotmac_isp.modules.network.radius import service as radius_service
from dotmac_isp.modules.services import service as services
from dotmac_isp.modules.services.models import Subscription
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.shared.types import utcnow
from dotmac_isp.web.units import format_bytes

SUBSCRIPTION_LIMIT = 20  # a household or small business; more are listed without live facts
PAST_PERIODS = 5  # months before the current one on the usage page
MEGABYTE = 1_000_000


@dataclass
class ServiceStatus:
    sub: Subscription
    online: bool = False
    ip_address: str | None = None
    used_octets: int = 0
    cap_octets: int | None = None
    capped: bool = False

    @property
    def cap_percent(self) -> float | None:
        if not self.cap_octets:
            return None
        return round(self.used_octets / self.cap_octets * 100, 1)

    @property
    def used(self) -> str:
        return format_bytes(self.used_octets)

    @property
    def cap(self) -> str:
        return format_bytes(self.cap_octets) if self.cap_octets else ""


@dataclass
class Overview:
    balance: Decimal
    currency: str
    open_invoices: list[Any]
    next_invoice: Any | None
    services: list[ServiceStatus] = field(default_factory=list)
    period_start: date | None = None


def month_start(day: date) -> date:
    return day.replace(day=1)


def customer_subscriptions(session: Session, tenant_id: uuid.UUID,
                           customer: Customer) -> Sequence[Subscription]:
    return services.list_subscriptions(session, tenant_id, PageParams(limit=100),
                                       customer_id=customer.id).items


def overview(session: Session, tenant_id: uuid.UUID, customer: Customer) -> Overview:
    """Balance, the invoices still to pay (the one due soonest first), and for each
    subscription whether it is online now, its address and this period's usage."""
    statement = billing_service.statement(session, tenant_id, customer.id)
    open_invoices = billing_service.open_invoices_of(session, tenant_id, customer.id)
    due = sorted(open_invoices, key=lambda i: (i.due_date or date.max, i.number or ""))
    result = Overview(balance=statement.balance, currency=statement.currency or customer.currency,
                      open_invoices=due, next_invoice=due[0] if due else None,
                      period_start=month_start(utcnow().date()))
    subs = customer_subscriptions(session, tenant_id, customer)
    live = [s for s in subs if s.status != "terminated"][:SUBSCRIPTION_LIMIT]
    addresses = ipam_service.current_addresses_of_subscriptions(session, [s.id for s in live])
    for sub in live:
        item = ServiceStatus(sub)
        open_sessions = radius_service.list_sessions(
            session, tenant_id, PageParams(limit=1), online=True, subscription_id=sub.id).items
        item.online = bool(open_sessions)
        session_ip = open_sessions[0].framedipaddress if open_sessions else None
        item.ip_address = session_ip or addresses.get((tenant_id, sub.id), (None, None))[0]
        usage = radius_service.usage_for(session, tenant_id, sub.id, 1)
        item.used_octets, item.capped = usage.month_octets, usage.capped
        item.cap_octets = usage.data_cap_mb * MEGABYTE if usage.data_cap_mb else None
        result.services.append(item)
    return result


@dataclass(frozen=True)
class Period:
    start: date
    used_octets: int

    @property
    def label(self) -> str:
        return self.start.strftime("%b %Y")

    @property
    def used(self) -> str:
        return format_bytes(self.used_octets)


@dataclass
class UsageHistory:
    sub: Subscription
    cap_octets: int | None
    periods: list[Period]  # oldest first; the last is the current period
    days: list[tuple[date, int]]  # the current period, day by day: (day, octets used)
    capped: bool = False

    @property
    def current(self) -> Period:
        return self.periods[-1]

    @property
    def cap(self) -> str:
        return format_bytes(self.cap_octets) if self.cap_octets else ""

    def percent_of_cap(self, period: Period) -> float | None:
        if not self.cap_octets:
            return None
        return round(period.used_octets / self.cap_octets * 100, 1)


def _months_back(today: date, count: int) -> list[date]:
    starts = [month_start(today)]
    for _ in range(count):
        starts.append(month_start(starts[-1] - timedelta(days=1)))
    return list(reversed(starts))


def usage_history(session: Session, tenant_id: uuid.UUID,
                  customer: Customer) -> list[UsageHistory]:
    """For each of the customer's subscriptions, usage in the current period and the
    PAST_PERIODS before it, and the current period day by day, against the plan's cap."""
    today = utcnow().date()
    starts = _months_back(today, PAST_PERIODS)
    histories = []
    subs = [s for s in customer_subscriptions(session, tenant_id, customer)
            if s.status != "terminated"][:SUBSCRIPTION_LIMIT]
    for sub in subs:
        usage = radius_service.usage_for(session, tenant_id, sub.id,
                                         (today - starts[0]).days + 1)
        totals = dict.fromkeys(starts, 0)
        by_day: dict[date, int] = {}
        for day in usage.days:
            octets = day.input_octets + day.output_octets
            totals[month_start(day.usage_date)] = totals.get(month_start(day.usage_date),
                                                             0) + octets
            if day.usage_date >= starts[-1]:
                by_day[day.usage_date] = octets
        days = [(starts[-1] + timedelta(days=n), by_day.get(starts[-1] + timedelta(days=n), 0))
                for n in range((today - starts[-1]).days + 1)]
        histories.append(UsageHistory(
            sub=sub, cap_octets=usage.data_cap_mb * MEGABYTE if usage.data_cap_mb else None,
            periods=[Period(s, totals[s]) for s in starts], days=days, capped=usage.capped))
    return histories
