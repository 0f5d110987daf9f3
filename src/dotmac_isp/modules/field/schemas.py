"""Work order API bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from dotmac_isp.modules.field.enums import AttachmentKind, WorkOrderKind, WorkOrderStatus
from dotmac_isp.modules.support.validation import CleanBody
from dotmac_isp.shared.timestamps import AwareUTCDateTimeIn

MAX_TEXT = 20_000
# A working day is long, but an appointment window of more than a few days is a typo.
MAX_WINDOW_MINUTES = 3 * 24 * 60
Latitude = Field(None, ge=Decimal(-90), le=Decimal(90), max_digits=9, decimal_places=6)
Longitude = Field(None, ge=Decimal(-180), le=Decimal(180), max_digits=9, decimal_places=6)


class WorkOrderCreate(CleanBody):
    kind: WorkOrderKind
    customer_id: uuid.UUID
    description: str = Field("", max_length=MAX_TEXT)
    subscription_id: uuid.UUID | None = None
    ticket_id: uuid.UUID | None = None
    device_id: uuid.UUID | None = None
    incident_id: uuid.UUID | None = None
    address: str | None = Field(None, max_length=500, description=(
        "omit to take the customer's service address (with its coordinates, if known)"))
    latitude: Decimal | None = Latitude
    longitude: Decimal | None = Longitude
    duration_minutes: int = Field(60, ge=5, le=MAX_WINDOW_MINUTES,
                                  description="how long the job is expected to take")

    @model_validator(mode="after")
    def _both_or_neither(self) -> WorkOrderCreate:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("give both latitude and longitude, or neither")
        return self


class WorkOrderUpdate(CleanBody):
    """Only the fields sent change; send null to clear a link or the coordinates."""

    description: str | None = Field(None, max_length=MAX_TEXT)
    subscription_id: uuid.UUID | None = None
    ticket_id: uuid.UUID | None = None
    device_id: uuid.UUID | None = None
    incident_id: uuid.UUID | None = None
    address: str | None = Field(None, max_length=500)
    latitude: Decimal | None = Latitude
    longitude: Decimal | None = Longitude
    duration_minutes: int | None = Field(None, ge=5, le=MAX_WINDOW_MINUTES)

    @model_validator(mode="after")
    def _both_or_neither(self) -> WorkOrderUpdate:
        sent = self.model_fields_set
        if ("latitude" in sent) != ("longitude" in sent) or \
                (self.latitude is None) != (self.longitude is None):
            raise ValueError("give both latitude and longitude, or neither")
        return self


class ScheduleIn(CleanBody):
    technician_id: uuid.UUID
    window_start: AwareUTCDateTimeIn
    window_end: AwareUTCDateTimeIn
    duration_minutes: int | None = Field(None, ge=5, le=MAX_WINDOW_MINUTES,
                                         description="omit to keep the expected duration")
    team_id: uuid.UUID | None = None
    note: str = Field("", max_length=2000)

    @model_validator(mode="after")
    def _window(self) -> ScheduleIn:
        if self.window_end <= self.window_start:
            raise ValueError("window_end must be after window_start")
        minutes = (self.window_end - self.window_start).total_seconds() / 60
        if minutes > MAX_WINDOW_MINUTES:
            raise ValueError(f"the window may be at most {MAX_WINDOW_MINUTES // 60} hours")
        if self.duration_minutes is not None and self.duration_minutes > minutes:
            raise ValueError("duration_minutes is longer than the window")
        return self


class StatusChange(CleanBody):
    status: WorkOrderStatus
    note: str = Field("", max_length=2000, description="kept in the work order's history")


class TickIn(CleanBody):
    done: bool = True


class NoteIn(CleanBody):
    body: str = Field(min_length=1, max_length=MAX_TEXT)

    @field_validator("body")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the note is empty")
        return value


class ChecklistLine(CleanBody):
    label: str = Field(min_length=1, max_length=200)
    required: bool = True

    @field_validator("label")
    @classmethod
    def _label(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("the item has no words")
        return value


class ChecklistTemplateIn(CleanBody):
    kind: WorkOrderKind
    items: list[ChecklistLine] = Field(default_factory=list, max_length=50)


class ChecklistTemplateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    items: list[ChecklistLine]


class WorkOrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    number: str
    kind: str
    status: str
    customer_id: uuid.UUID
    subscription_id: uuid.UUID | None
    ticket_id: uuid.UUID | None
    device_id: uuid.UUID | None
    incident_id: uuid.UUID | None
    description: str
    address: str
    latitude: Decimal | None
    longitude: Decimal | None
    technician_id: uuid.UUID | None
    team_id: uuid.UUID | None
    window_start: datetime | None
    window_end: datetime | None
    duration_minutes: int
    status_changed_at: datetime
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class HistoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    from_status: str | None
    to_status: str
    note: str
    actor_type: str
    actor_label: str
    created_at: datetime


class ChecklistItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    position: int
    label: str
    required: bool
    done: bool
    done_at: datetime | None
    done_by: str


class NoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    body: str
    author_label: str
    created_at: datetime


class AttachmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    work_order_id: uuid.UUID
    kind: AttachmentKind
    filename: str
    content_type: str
    size_bytes: int
    uploaded_by: str
    created_at: datetime
