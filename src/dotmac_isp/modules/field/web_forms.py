"""Reading the field pages' forms into service calls."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dotmac_isp.modules.field import schemas
from dotmac_isp.modules.field.web_common import local_moment, parse_clock, parse_day
from dotmac_isp.web.forms import FormErrors, validate_form

SCHEDULE_LABELS = {"technician_id": "Technician", "day": "Day", "start": "From", "end": "To",
                   "duration_minutes": "Expected minutes", "team_id": "Team",
                   "window_start": "From", "window_end": "To", "note": "Note"}
SCHEDULE_FIELDS = {"window_start": "start", "window_end": "end"}


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def schedule_from(form: dict[str, Any], zone: ZoneInfo,
                  ) -> tuple[schemas.ScheduleIn | None, FormErrors]:
    """A ScheduleIn from day, from/to (the tenant's local time), technician and team; or
    every error beside its field."""
    errors = FormErrors(SCHEDULE_LABELS)
    day = parse_day(str(form.get("day", "")))
    start = parse_clock(str(form.get("start", "")))
    end = parse_clock(str(form.get("end", "")))
    technician = _uuid(form.get("technician_id", ""))
    if day is None:
        errors.add("day", "give the day as YYYY-MM-DD")
    if start is None:
        errors.add("start", "give a time such as 09:00")
    if end is None:
        errors.add("end", "give a time such as 11:00")
    if technician is None:
        errors.add("technician_id", "choose a technician")
    duration = str(form.get("duration_minutes", "")).strip()
    data: dict[str, Any] = {"technician_id": technician or uuid.UUID(int=0),
                            "team_id": _uuid(form.get("team_id")) if form.get("team_id")
                            else None, "note": str(form.get("note", ""))[:2000]}
    if duration:
        data["duration_minutes"] = duration
    if errors or day is None or start is None or end is None:
        return None, errors
    begins = local_moment(day, start, zone)
    ends = local_moment(day, end, zone)
    if ends <= begins and end.hour == 0 and end.minute == 0:
        ends += timedelta(days=1)  # "until midnight"
    data["window_start"], data["window_end"] = begins, ends
    return validate_form(schemas.ScheduleIn, data, SCHEDULE_LABELS, SCHEDULE_FIELDS)
