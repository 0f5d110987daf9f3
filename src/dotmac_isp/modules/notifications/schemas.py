"""Notification API bodies."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from dotmac_isp.modules.notifications.rendering import MAX_SOURCE_CHARS

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"  # for Query(pattern=...)


class CleanBody(BaseModel):
    """Stored template text carries no control characters (PostgreSQL refuses NUL)."""

    @field_validator("subject", "body_text", "body_html", mode="before", check_fields=False)
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        if isinstance(value, str) and CONTROL.search(value):
            raise ValueError("control characters (such as NUL) are not allowed")
        return value


EventKey = Field(min_length=1, max_length=64, pattern=r"^[a-z_]+\.[a-z_]+$")


class TemplateCreate(CleanBody):
    event_key: str = EventKey
    subject: str = Field(min_length=1, max_length=255)
    body_text: str = Field(min_length=1, max_length=MAX_SOURCE_CHARS)
    body_html: str | None = Field(None, max_length=MAX_SOURCE_CHARS)
    is_active: bool = True


class TemplateUpdate(CleanBody):
    subject: str | None = Field(None, min_length=1, max_length=255)
    body_text: str | None = Field(None, min_length=1, max_length=MAX_SOURCE_CHARS)
    body_html: str | None = Field(None, max_length=MAX_SOURCE_CHARS)
    is_active: bool | None = None


class TemplateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    event_key: str
    subject: str
    body_text: str
    body_html: str | None
    is_active: bool
    created_at: datetime
    updated_at: datetime


class EventOut(BaseModel):
    key: str
    description: str
    subject: str
    body_text: str
    body_html: str | None
    sample_context: dict[str, Any]
    overridden: bool


class PreviewIn(CleanBody):
    event_key: str = EventKey
    subject: str | None = Field(None, min_length=1, max_length=255)
    body_text: str | None = Field(None, min_length=1, max_length=MAX_SOURCE_CHARS)
    body_html: str | None = Field(None, max_length=MAX_SOURCE_CHARS)
    context: dict[str, Any] | None = Field(None, description="merged over the sample context")


class PreviewOut(BaseModel):
    subject: str
    body_text: str
    body_html: str | None


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    event_key: str
    channel: str
    to_address: str
    subject: str
    body_text: str
    body_html: str | None
    headers: dict[str, Any]
    message_id: str
    template_source: str
    status: str
    attempts: int
    max_attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    sent_at: datetime | None
    smtp_response: str
    error: str
    related_type: str
    related_id: uuid.UUID | None
    created_at: datetime


class DeliverySummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    event_key: str
    to_address: str
    subject: str
    status: str
    attempts: int
    smtp_response: str
    error: str
    related_type: str
    related_id: uuid.UUID | None
    created_at: datetime
    sent_at: datetime | None
