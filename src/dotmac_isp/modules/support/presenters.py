"""How the pages show times, durations and SLA clocks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from dotmac_isp.modules.support.businesstime import CalendarError, zone


def tenant_zone(name: str) -> ZoneInfo:
    try:
        return zone(name)
    except CalendarError:
        return ZoneInfo("UTC")


def clock_formatter(tz_name: str) -> Callable[[datetime | None], str]:
    """when(dt) -> '2026-11-23 12:30 WAT' in the tenant's zone ("-" for none)."""
    tz = tenant_zone(tz_name)

    def when(value: datetime | None) -> str:
        if value is None:
            return "-"
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")

    return when


def duration(seconds: int | None) -> str:
    """Business time left, in hours and minutes ('45h 00m'), or 'overdue 15m'."""
    if seconds is None:
        return "-"
    sign = "overdue " if seconds < 0 else ""
    hours, rest = divmod(abs(seconds), 3600)
    minutes = rest // 60
    return f"{sign}{hours}h {minutes:02d}m" if hours else f"{sign}{minutes}m"


SLA_LABELS = {"none": "no SLA", "running": "on track", "at_risk": "at risk",
              "paused": "paused", "breached": "breached", "met": "met"}


def sla_label(state: str) -> str:
    return SLA_LABELS.get(state, state)


def page_helpers(tz_name: str) -> dict[str, object]:
    return {"when": clock_formatter(tz_name), "duration": duration, "sla_label": sla_label}
