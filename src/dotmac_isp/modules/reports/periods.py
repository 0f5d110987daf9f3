"""Calendar arithmetic in the tenant's time zone: months, days and hours as UTC bounds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def add_months(day: date, months: int) -> date:
    """The first of the month `months` after (or before) the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_label(day: date) -> str:
    return day.strftime("%Y-%m")


@dataclass(frozen=True)
class Clock:
    """`now` seen from one tenant: its local day, this month, and UTC bounds of local dates."""

    now: datetime
    zone: ZoneInfo

    @classmethod
    def of(cls, now: datetime, timezone: str) -> Clock:
        return cls(now.astimezone(UTC), ZoneInfo(timezone))

    @property
    def today(self) -> date:
        return self.now.astimezone(self.zone).date()

    @property
    def month_start(self) -> date:
        return self.today.replace(day=1)

    def utc(self, day: date) -> datetime:
        """The UTC moment local midnight of `day` begins."""
        return datetime.combine(day, time(), self.zone).astimezone(UTC)

    def months_back(self, count: int) -> list[date]:
        """First days of the last `count` months, oldest first, this month last."""
        return [add_months(self.month_start, -i) for i in range(count - 1, -1, -1)]

    def hours_back(self, count: int) -> list[datetime]:
        """The last `count` whole hours (UTC), oldest first, the current hour last."""
        top = self.now.replace(minute=0, second=0, microsecond=0)
        return [top - timedelta(hours=i) for i in range(count - 1, -1, -1)]

    def hour_label(self, moment: datetime) -> str:
        return moment.astimezone(self.zone).strftime("%H:00")
