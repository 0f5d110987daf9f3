"""API bodies for calendars, SLA policies, escalation rules and teams."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator

from dotmac_isp.modules.customers.enums import CustomerKind
from dotmac_isp.modules.support import businesstime
from dotmac_isp.modules.support.enums import EscalationTrigger, SlaTarget
from dotmac_isp.modules.support.validation import CleanBody
from dotmac_isp.shared.enums import Priority

Clock = Field(pattern=r"^\d{2}:\d{2}$", description="HH:MM local time; 24:00 ends the day")
Category = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
MAX_MINUTES = 366 * 24 * 60


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


class WindowIn(CleanBody):
    start: str = Clock
    end: str = Clock


class HolidayIn(CleanBody):
    date: date
    name: str = Field("", max_length=100)


class CalendarIn(CleanBody):
    name: str = Field(min_length=1, max_length=100)
    timezone: str = Field("UTC", min_length=1, max_length=64,
                          description="IANA time zone, e.g. Europe/London")
    hours: dict[Weekday, list[WindowIn]] = Field(
        description="working windows per weekday; a missing day is closed")
    holidays: list[HolidayIn] = Field(default_factory=list, max_length=1000)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        businesstime.zone(value)
        return value

    @model_validator(mode="after")
    def _windows(self) -> CalendarIn:
        for day, windows in self.hours.items():
            if len(windows) > 12:
                raise ValueError(f"{day.value}: at most 12 windows a day")
            try:
                businesstime.check_windows(
                    [(businesstime.parse_clock(w.start), businesstime.parse_clock(w.end))
                     for w in windows])
            except businesstime.CalendarError as exc:
                raise ValueError(f"{day.value}: {exc}") from exc
        if not any(self.hours.values()):
            raise ValueError("a calendar needs working hours on at least one day")
        return self


class CalendarOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    timezone: str
    hours: dict[str, list[list[str]]]
    holidays: list[dict[str, str]]
    created_at: datetime
    updated_at: datetime


class TargetIn(CleanBody):
    first_response_minutes: int = Field(ge=1, le=MAX_MINUTES)
    resolution_minutes: int = Field(ge=1, le=MAX_MINUTES)

    @model_validator(mode="after")
    def _order(self) -> TargetIn:
        if self.resolution_minutes < self.first_response_minutes:
            raise ValueError("resolution_minutes must not be shorter than first_response_minutes")
        return self


class PolicyIn(CleanBody):
    name: str = Field(min_length=1, max_length=100)
    position: int = Field(100, ge=0, le=100_000, description="lower is tried first")
    is_active: bool = True
    priorities: list[Priority] = Field(default_factory=list, max_length=6)
    categories: list[str] = Field(default_factory=list, max_length=50)
    customer_kinds: list[CustomerKind] = Field(default_factory=list, max_length=2)
    calendar_id: uuid.UUID
    targets: dict[Priority, TargetIn] = Field(
        default_factory=dict, description="per priority; missing ones use the defaults")
    at_risk_percent: int = Field(80, ge=1, le=99)

    @field_validator("categories")
    @classmethod
    def _categories(cls, value: list[str]) -> list[str]:
        cleaned = sorted({c.strip().lower() for c in value if c.strip()})
        for c in cleaned:
            if len(c) > 64:
                raise ValueError("categories are at most 64 characters")
        return cleaned


class PolicyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    position: int
    is_active: bool
    priorities: list[str]
    categories: list[str]
    customer_kinds: list[str]
    calendar_id: uuid.UUID
    targets: dict[str, dict[str, int]]
    at_risk_percent: int
    created_at: datetime
    updated_at: datetime


class RuleIn(CleanBody):
    name: str = Field(min_length=1, max_length=100)
    position: int = Field(100, ge=0, le=100_000)
    is_active: bool = True
    trigger: EscalationTrigger
    target: SlaTarget | None = Field(None, description="omit for either target")
    policy_id: uuid.UUID | None = Field(None, description="omit for every policy")
    priorities: list[Priority] = Field(default_factory=list, max_length=6)
    notify_assignee: bool = True
    notify_team: bool = False
    notify_emails: list[EmailStr] = Field(default_factory=list, max_length=20)
    raise_priority: bool = False
    reassign_user_id: uuid.UUID | None = None
    reassign_team_id: uuid.UUID | None = None


class RuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    position: int
    is_active: bool
    trigger: str
    target: str | None
    policy_id: uuid.UUID | None
    priorities: list[str]
    notify_assignee: bool
    notify_team: bool
    notify_emails: list[str]
    raise_priority: bool
    reassign_user_id: uuid.UUID | None
    reassign_team_id: uuid.UUID | None
    created_at: datetime


class TeamIn(CleanBody):
    name: str = Field(min_length=1, max_length=100)
    email: EmailStr | None = Field(None, description="where the team's notifications go")
    description: str = Field("", max_length=500)


class TeamOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    email: str
    description: str
    created_at: datetime
