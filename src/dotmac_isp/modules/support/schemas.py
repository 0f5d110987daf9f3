"""Ticket API bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from dotmac_isp.modules.support.enums import TicketSource, TicketStatus
from dotmac_isp.modules.support.validation import CleanBody
from dotmac_isp.shared.enums import Priority

MAX_BODY = 20_000
MAX_TAGS = 20
Category = Field("general", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$",
                 description="e.g. outage, billing, installation, general")


def clean_tags(tags: list[str]) -> list[str]:
    cleaned = sorted({t.strip().lower() for t in tags if t.strip()})
    if any(len(t) > 40 for t in cleaned):
        raise ValueError("tags are at most 40 characters")
    if any('"' in t or "\\" in t for t in cleaned):
        raise ValueError('tags may not contain " or \\')
    return cleaned


class TicketCreate(CleanBody):
    customer_id: uuid.UUID
    subject: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=MAX_BODY)
    category: str = Category
    priority: Priority = Priority.NORMAL
    source: TicketSource = TicketSource.STAFF
    subscription_id: uuid.UUID | None = None
    device_id: uuid.UUID | None = None
    incident_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    tags: list[str] = Field(default_factory=list, max_length=MAX_TAGS)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        return clean_tags(value)

    @field_validator("subject")
    @classmethod
    def _subject(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("the subject is empty")
        return value

    @field_validator("category")
    @classmethod
    def _category(cls, value: str) -> str:
        return value.lower()


class TicketUpdate(CleanBody):
    """Only the fields sent change; send null to clear an assignee, team, subscription or
    device."""

    subject: str | None = Field(None, min_length=1, max_length=200)
    category: str | None = Field(None, min_length=1, max_length=64,
                                 pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
    priority: Priority | None = None
    subscription_id: uuid.UUID | None = None
    device_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    tags: list[str] | None = Field(None, max_length=MAX_TAGS)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else clean_tags(value)


class StatusChange(CleanBody):
    status: TicketStatus
    reason: str = Field("", max_length=2000, description="kept on the timeline (staff only)")


class ReplyIn(CleanBody):
    body: str = Field(min_length=1, max_length=MAX_BODY)
    status: TicketStatus | None = Field(None, description="also move the ticket, e.g. "
                                                          "pending_customer or resolved")

    @field_validator("body")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the message is empty")
        return value


class NoteIn(CleanBody):
    body: str = Field(min_length=1, max_length=MAX_BODY)

    @field_validator("body")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the note is empty")
        return value


class MergeIn(CleanBody):
    into_ticket_id: uuid.UUID = Field(description="the ticket that stays open")


class IncidentLink(CleanBody):
    incident_id: uuid.UUID


class ResolveIncidentIn(CleanBody):
    incident_id: uuid.UUID
    reply: str = Field(min_length=1, max_length=MAX_BODY,
                       description="posted as a public reply on every linked ticket")


class SlaClockOut(BaseModel):
    state: str
    target_seconds: int | None
    due_at: datetime | None
    remaining_seconds: int | None = Field(description="business seconds; negative: overdue")
    percent_used: int | None


class TicketSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    number: str
    subject: str
    customer_id: uuid.UUID
    status: str
    priority: str
    category: str
    source: str
    assignee_id: uuid.UUID | None
    team_id: uuid.UUID | None
    incident_id: uuid.UUID | None
    tags: list[str]
    created_at: datetime
    first_response_state: str
    first_response_due_at: datetime | None
    resolution_state: str
    resolution_due_at: datetime | None


class TicketOut(TicketSummary):
    subscription_id: uuid.UUID | None
    device_id: uuid.UUID | None
    merged_into_id: uuid.UUID | None
    status_changed_at: datetime
    first_responded_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime
    sla_policy_id: uuid.UUID | None
    at_risk_percent: int
    first_response: SlaClockOut
    resolution: SlaClockOut


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    ticket_id: uuid.UUID
    kind: str
    author_type: str
    author_label: str
    via: str
    body: str
    created_at: datetime


class AttachmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    ticket_id: uuid.UUID
    message_id: uuid.UUID | None
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_by: str
    created_at: datetime


class TimelineItem(BaseModel):
    at: datetime
    type: str = Field(description="message or event")
    kind: str
    who: str
    text: str
    data: dict[str, Any] = Field(default_factory=dict)
    id: uuid.UUID


class ResolveIncidentOut(BaseModel):
    incident_id: uuid.UUID
    resolved: list[TicketSummary]
    already_done: int
