"""Date-times that enter through the API and the pages: aware, in UTC, and in range.

Python's datetime covers years 1 to 9999 in its own zone, so 9999-12-31T23:59:59-14:00 has
no UTC value and 0001-01-01T00:00:00+14:00 none either. Accepted instants also keep a day
clear of both ends, so showing one in any time zone, or a day's arithmetic on it, stays in
range.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime

EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=UTC)
OUT_OF_RANGE = "the time is out of range: use a time from 0001-01-02 to 9999-12-30 (UTC)"


def to_utc(value: datetime) -> datetime:
    """The same instant in UTC (a value without a zone is taken as UTC); ValueError when
    it is outside the accepted range."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        moment = value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError(OUT_OF_RANGE) from None
    if not EARLIEST <= moment <= LATEST:
        raise ValueError(OUT_OF_RANGE)
    return moment


UTCDateTimeIn = Annotated[datetime, AfterValidator(to_utc)]
"""A date-time from a request; a value without a zone is taken as UTC."""

AwareUTCDateTimeIn = Annotated[AwareDatetime, AfterValidator(to_utc)]
"""A date-time from a request that must name its zone (or offset)."""
