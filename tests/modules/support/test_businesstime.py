"""Business-time arithmetic, checked against values worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dotmac_isp.modules.support.businesstime import (
    Calendar,
    CalendarError,
    add_business_time,
    always_open,
    business_time_between,
    is_working_time,
    office_hours,
    parse_clock,
)

UTC_OFFICE = office_hours("UTC")  # Monday to Friday 09:00-17:00
H = timedelta(hours=1)


def at(tz: str, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=ZoneInfo(tz))  # type: ignore[misc]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_friday_afternoon_plus_four_hours_is_monday_half_past_noon() -> None:
    # Friday 16:30 leaves 30 minutes that day; 3h30 more from Monday 09:00 is 12:30.
    assert add_business_time(UTC_OFFICE, utc(2026, 11, 20, 16, 30), 4 * H) == \
        utc(2026, 11, 23, 12, 30)


def test_a_monday_holiday_is_skipped() -> None:
    calendar = office_hours("UTC", holidays=[date(2026, 11, 23)])
    assert add_business_time(calendar, utc(2026, 11, 20, 16, 30), 4 * H) == \
        utc(2026, 11, 24, 12, 30)


def test_christmas_and_the_weekend_are_skipped_together() -> None:
    # Thursday 24 Dec 15:00 + 10h: 2h Thursday, Friday 25 is a holiday, weekend, then 8h
    # Monday 28 Dec ends at 17:00.
    calendar = office_hours("UTC", holidays=[date(2026, 12, 25)])
    assert add_business_time(calendar, utc(2026, 12, 24, 15), 10 * H) == utc(2026, 12, 28, 17)


def test_elapsed_business_time_over_a_weekend() -> None:
    assert business_time_between(UTC_OFFICE, utc(2026, 11, 20, 16), utc(2026, 11, 23, 10)) == \
        2 * H
    assert business_time_between(UTC_OFFICE, utc(2026, 11, 21, 10), utc(2026, 11, 22, 20)) == \
        timedelta(0)


def test_elapsed_is_negative_when_the_end_comes_first() -> None:
    assert business_time_between(UTC_OFFICE, utc(2026, 11, 23, 10), utc(2026, 11, 20, 16)) == \
        -2 * H


def test_starting_before_opening_or_at_closing() -> None:
    assert add_business_time(UTC_OFFICE, utc(2026, 11, 23, 7), H) == utc(2026, 11, 23, 10)
    assert add_business_time(UTC_OFFICE, utc(2026, 11, 20, 17), H) == utc(2026, 11, 23, 10)
    # landing exactly on closing time stays on that day
    assert add_business_time(UTC_OFFICE, utc(2026, 11, 23, 9), 8 * H) == utc(2026, 11, 23, 17)


def test_a_lunch_break_is_not_working_time() -> None:
    calendar = Calendar("UTC", {d: ((9 * 60, 12 * 60), (13 * 60, 17 * 60)) for d in range(5)})
    assert add_business_time(calendar, utc(2026, 11, 23, 11), 2 * H) == utc(2026, 11, 23, 14)
    assert business_time_between(calendar, utc(2026, 11, 23, 11), utc(2026, 11, 23, 14)) == 2 * H
    assert not is_working_time(calendar, utc(2026, 11, 23, 12, 30))
    assert is_working_time(calendar, utc(2026, 11, 23, 13))


def test_office_hours_follow_the_local_clock_in_another_zone() -> None:
    # Lagos is UTC+1 all year: 09:00-17:00 local is 08:00-16:00 UTC.
    lagos = office_hours("Africa/Lagos")
    assert add_business_time(lagos, utc(2026, 11, 20, 15), 2 * H) == utc(2026, 11, 23, 9)


def test_london_spring_forward_day_is_23_hours_long() -> None:
    london = always_open("Europe/London")
    # Sunday 29 March 2026: clocks go from 01:00 GMT to 02:00 BST.
    assert business_time_between(london, at("Europe/London", 2026, 3, 28, 12),
                                 at("Europe/London", 2026, 3, 29, 12)) == 23 * H
    # Saturday 23:00 GMT + 4h is 03:00 UTC, which the wall clock shows as 04:00 BST.
    due = add_business_time(london, at("Europe/London", 2026, 3, 28, 23), 4 * H)
    assert due == utc(2026, 3, 29, 3)
    assert due.astimezone(ZoneInfo("Europe/London")).hour == 4


def test_london_autumn_back_day_is_25_hours_long() -> None:
    london = always_open("Europe/London")
    # Sunday 25 October 2026: clocks go back from 02:00 BST to 01:00 GMT.
    assert business_time_between(london, at("Europe/London", 2026, 10, 24, 12),
                                 at("Europe/London", 2026, 10, 25, 12)) == 25 * H


def test_new_york_office_hours_across_the_november_change() -> None:
    new_york = office_hours("America/New_York")
    # Friday 30 Oct 16:00 EDT (20:00 UTC) + 2h: 1h Friday, then Monday 2 Nov opens at 09:00
    # EST, which is 14:00 UTC (not 13:00 as before the change): due 10:00 EST = 15:00 UTC.
    due = add_business_time(new_york, utc(2026, 10, 30, 20), 2 * H)
    assert due == utc(2026, 11, 2, 15)
    assert business_time_between(new_york, utc(2026, 10, 30, 20), due) == 2 * H


def test_new_york_office_hours_across_the_march_change() -> None:
    new_york = office_hours("America/New_York")
    # Friday 6 Mar 16:00 EST (21:00 UTC) + 2h: Monday 9 Mar opens 09:00 EDT = 13:00 UTC.
    assert add_business_time(new_york, utc(2026, 3, 6, 21), 2 * H) == utc(2026, 3, 9, 14)


def test_a_window_that_contains_the_skipped_hour_is_shorter() -> None:
    # A Sunday night shift 00:00-06:00 in New York on 8 March 2026 lasts 5 real hours.
    night = Calendar("America/New_York", {6: ((0, 6 * 60),)})
    sunday = date(2026, 3, 8)
    start = at("America/New_York", sunday.year, sunday.month, sunday.day, 0)
    end = at("America/New_York", sunday.year, sunday.month, sunday.day, 6)
    assert business_time_between(night, start, end) == 5 * H
    assert add_business_time(night, start, 5 * H) == end


def test_a_calendar_that_never_opens_is_refused() -> None:
    closed = Calendar("UTC", {})
    with pytest.raises(CalendarError, match="no working time"):
        add_business_time(closed, utc(2026, 1, 1), H)
    assert business_time_between(closed, utc(2026, 1, 1), utc(2026, 2, 1)) == timedelta(0)


def test_bad_calendars_and_naive_times_are_refused() -> None:
    with pytest.raises(CalendarError, match="unknown time zone"):
        office_hours("Mars/Olympus")
    with pytest.raises(CalendarError, match="overlap"):
        Calendar("UTC", {0: ((9 * 60, 12 * 60), (11 * 60, 13 * 60))})
    with pytest.raises(CalendarError, match="starts before it ends"):
        Calendar("UTC", {0: ((17 * 60, 9 * 60),)})
    with pytest.raises(CalendarError):
        parse_clock("25:00")
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_time(UTC_OFFICE, datetime(2026, 1, 1), H)
    assert parse_clock("24:00") == 1440


@settings(max_examples=200, deadline=None)
@given(start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31),
                          timezones=st.just(UTC)),
       minutes=st.integers(min_value=0, max_value=60 * 200),
       tz=st.sampled_from(["UTC", "Europe/London", "America/New_York", "Australia/Sydney"]))
def test_adding_then_measuring_gives_back_the_duration(start: datetime, minutes: int,
                                                       tz: str) -> None:
    calendar = office_hours(tz, holidays=[date(2026, 12, 25), date(2027, 1, 1)])
    duration = timedelta(minutes=minutes)
    due = add_business_time(calendar, start, duration)
    assert due >= start
    assert business_time_between(calendar, start, due) == duration
