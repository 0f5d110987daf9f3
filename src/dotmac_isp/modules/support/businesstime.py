"""Business-time arithmetic on a working-hours calendar: pure functions, no database.

A calendar names an IANA time zone, working windows per weekday (minutes after local
midnight, 0..1440) and holidays (local dates). Durations are real elapsed time inside working
windows, so a window that spans a DST change is an hour shorter or longer in business time,
exactly as the clock on the wall says.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MINUTES_PER_DAY = 24 * 60
# How far ahead add_business_time looks before deciding the calendar never opens.
MAX_DAYS_AHEAD = 366 * 3
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Window = tuple[int, int]  # (start minute, end minute) after local midnight


class CalendarError(ValueError):
    """The calendar is not usable (unknown zone, bad windows, never open)."""


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise CalendarError(f"unknown time zone {name!r}") from exc


def parse_clock(text: str) -> int:
    """'09:30' -> 570; '24:00' is the end of the day."""
    try:
        hours, minutes = text.strip().split(":")
        value = int(hours) * 60 + int(minutes)
    except ValueError as exc:
        raise CalendarError(f"{text!r} is not a time of day like 09:00") from exc
    if not (0 <= int(minutes) < 60) or not (0 <= value <= MINUTES_PER_DAY):
        raise CalendarError(f"{text!r} is not a time of day between 00:00 and 24:00")
    return value


def format_clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def check_windows(windows: Iterable[Window]) -> tuple[Window, ...]:
    """Sorted, non-empty, non-overlapping windows inside one day."""
    ordered = tuple(sorted(windows))
    previous_end = -1
    for start, end in ordered:
        if not 0 <= start < end <= MINUTES_PER_DAY:
            raise CalendarError(f"{format_clock(start)}-{format_clock(end)} is not a window "
                                "that starts before it ends within one day")
        if start < previous_end:
            raise CalendarError(f"working windows overlap at {format_clock(start)}")
        previous_end = end
    return ordered


@dataclass(frozen=True)
class Calendar:
    timezone: str
    hours: Mapping[int, tuple[Window, ...]]  # weekday (0 = Monday) -> windows
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        zone(self.timezone)
        for weekday, windows in self.hours.items():
            if weekday not in range(7):
                raise CalendarError(f"weekday {weekday} is not 0 (Monday) to 6 (Sunday)")
            check_windows(windows)

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.timezone)

    @property
    def weekly_minutes(self) -> int:
        return sum(end - start for windows in self.hours.values() for start, end in windows)


def office_hours(timezone: str = "UTC", start: str = "09:00", end: str = "17:00",
                 weekdays: Iterable[int] = range(5),
                 holidays: Iterable[date] = ()) -> Calendar:
    """The same window on each of the given weekdays (Monday to Friday by default)."""
    window = (parse_clock(start), parse_clock(end))
    return Calendar(timezone, {d: (window,) for d in weekdays}, frozenset(holidays))


def always_open(timezone: str = "UTC") -> Calendar:
    return office_hours(timezone, "00:00", "24:00", range(7))


def _local_instant(day: date, minute: int, tz: ZoneInfo) -> datetime:
    # Wall-clock arithmetic on a naive value, then the zone: 1440 is the next midnight.
    wall = datetime.combine(day, time()) + timedelta(minutes=minute)
    return wall.replace(tzinfo=tz).astimezone(UTC)


def windows_on(calendar: Calendar, day: date) -> list[tuple[datetime, datetime]]:
    """The working windows of one local date, as UTC instants."""
    if day in calendar.holidays:
        return []
    tz = calendar.tz
    spans = []
    for start, end in calendar.hours.get(day.weekday(), ()):
        opens, closes = _local_instant(day, start, tz), _local_instant(day, end, tz)
        if closes > opens:  # a window inside a skipped DST hour has no length
            spans.append((opens, closes))
    return spans


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(UTC)


def _days_from(calendar: Calendar, instant: datetime) -> Iterator[date]:
    day = instant.astimezone(calendar.tz).date()
    while True:
        yield day
        day += timedelta(days=1)


def add_business_time(calendar: Calendar, start: datetime, duration: timedelta) -> datetime:
    """The instant at which `duration` of working time has passed since `start`."""
    start = _aware(start, "start")
    if duration < timedelta(0):
        raise ValueError("duration must not be negative")
    if duration == timedelta(0):
        return start
    remaining = duration
    for count, day in enumerate(_days_from(calendar, start)):
        if count > MAX_DAYS_AHEAD:
            break
        for opens, closes in windows_on(calendar, day):
            if closes <= start:
                continue
            begin = max(opens, start)
            available = closes - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
    raise CalendarError(f"the calendar has no working time in the {MAX_DAYS_AHEAD} days "
                        f"after {start.isoformat()}")


def business_time_between(calendar: Calendar, start: datetime, end: datetime) -> timedelta:
    """Working time from `start` to `end`; negative when `end` comes first."""
    start, end = _aware(start, "start"), _aware(end, "end")
    if end < start:
        return -business_time_between(calendar, end, start)
    total = timedelta(0)
    last_day = end.astimezone(calendar.tz).date()
    for day in _days_from(calendar, start):
        if day > last_day:
            break
        for opens, closes in windows_on(calendar, day):
            begin, finish = max(opens, start), min(closes, end)
            if finish > begin:
                total += finish - begin
    return total


def is_working_time(calendar: Calendar, instant: datetime) -> bool:
    instant = _aware(instant, "instant")
    day = instant.astimezone(calendar.tz).date()
    return any(opens <= instant < closes for opens, closes in windows_on(calendar, day))
