"""Billing periods and proration by days (pure functions, no database).

Periods of a subscription are [B + k*m months, B + (k+1)*m months) for whole k, where B is
the first billing boundary on or after activation (a date whose day is the billing day,
1-28) and m is 1, 3 or 12. A part of a period is charged price * days used / days in period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from dotmac_isp.shared.money import round_money

MAX_BILLING_DAY = 28


def add_months(day: date, months: int) -> date:
    """The same day-of-month `months` later; days above 28 never occur here."""
    total = day.year * 12 + (day.month - 1) + months
    return date(total // 12, total % 12 + 1, day.day)


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date  # exclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end

    def clip(self, start: date, end: date) -> Period | None:
        """The part of this period inside [start, end), or None if they do not overlap."""
        lo, hi = max(self.start, start), min(self.end, end)
        return Period(lo, hi) if lo < hi else None

    def label(self) -> str:
        return f"{self.start:%d %b %Y} - {(self.end - timedelta(days=1)):%d %b %Y}"


def anchor_day(activation: date, billing_day: int | None) -> int:
    """The billing day: the configured one, or the activation day (anniversary) capped at 28."""
    if billing_day is not None:
        if not 1 <= billing_day <= MAX_BILLING_DAY:
            raise ValueError("billing day must be between 1 and 28")
        return billing_day
    return min(activation.day, MAX_BILLING_DAY)


def first_boundary(activation: date, day: int) -> date:
    """The first date on or after activation whose day of month is `day`."""
    candidate = activation.replace(day=day)
    return candidate if candidate >= activation else add_months(candidate, 1)


def period_containing(day: date, boundary: date, months: int) -> Period:
    """The full period (aligned on boundary) that contains day."""
    offset = (day.year - boundary.year) * 12 + (day.month - boundary.month)
    k = offset // months
    start = add_months(boundary, k * months)
    while start > day:
        k -= 1
        start = add_months(boundary, k * months)
    while add_months(boundary, (k + 1) * months) <= day:
        k += 1
        start = add_months(boundary, k * months)
    return Period(start, add_months(boundary, (k + 1) * months))


def periods_between(first: date, last: date, boundary: date, months: int) -> list[Period]:
    """Every full period touching [first, last] (inclusive days), in order."""
    periods = []
    period = period_containing(first, boundary, months)
    while period.start <= last:
        periods.append(period)
        period = Period(period.end, add_months(period.end, months))
    return periods


def prorate(price: Decimal, used: Period, full: Period) -> Decimal:
    """price * days used / days in the full period, rounded half-up to the cent."""
    if used.days == full.days:
        return round_money(price)
    return round_money(price * used.days / full.days)
