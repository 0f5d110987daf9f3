"""Request and response bodies of the alerts API."""

from __future__ import annotations

import math
import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from dotmac_isp.modules.network.alerts.enums import RuleMetric, RuleOperator
from dotmac_isp.modules.network.devices.schemas import Line, Text, UTCTime
from dotmac_isp.shared.enums import Priority


class ORM(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class AlertOut(ORM):
    id: uuid.UUID
    kind: str
    severity: str
    status: str
    silenced: bool
    message: str
    value: float | None
    device_id: uuid.UUID | None
    interface_id: uuid.UUID | None
    rule_id: uuid.UUID | None
    incident_id: uuid.UUID | None
    raised_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None


class _RuleFields(BaseModel):
    @field_validator("threshold", check_fields=False)
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("threshold must be a finite number")
        return value


class AlertRuleCreate(_RuleFields):
    name: Line = Field(min_length=1, max_length=200)
    metric: RuleMetric
    operator: RuleOperator = RuleOperator.ABOVE
    threshold: float = Field(ge=0, le=1_000_000)
    duration_seconds: int = Field(300, ge=0, le=7 * 86_400,
                                  description="how long the breach must last before firing")
    cooldown_seconds: int = Field(3600, ge=0, le=30 * 86_400,
                                  description="quiet time after firing before firing again")
    severity: Priority = Priority.HIGH
    enabled: bool = True
    device_id: uuid.UUID | None = None
    site_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _percent(self) -> AlertRuleCreate:
        if self.threshold > 100:
            raise ValueError("threshold is a percentage: 0 to 100")
        return self


class AlertRuleUpdate(_RuleFields):
    name: Line | None = Field(None, min_length=1, max_length=200)
    operator: RuleOperator | None = None
    threshold: float | None = Field(None, ge=0, le=100)
    duration_seconds: int | None = Field(None, ge=0, le=7 * 86_400)
    cooldown_seconds: int | None = Field(None, ge=0, le=30 * 86_400)
    severity: Priority | None = None
    enabled: bool | None = None


class AlertRuleOut(ORM):
    id: uuid.UUID
    name: str
    metric: str
    operator: str
    threshold: float
    duration_seconds: int
    cooldown_seconds: int
    severity: str
    enabled: bool
    device_id: uuid.UUID | None
    site_id: uuid.UUID | None
    created_at: datetime


class IncidentOut(ORM):
    id: uuid.UUID
    reference: str
    title: str
    status: str
    device_id: uuid.UUID | None
    device_name: str
    affected_device_ids: list[str]
    affected_subscription_ids: list[str]
    opened_at: datetime
    resolved_at: datetime | None
    notes: str


class IncidentUpdate(BaseModel):
    title: Line | None = Field(None, min_length=1, max_length=300)
    notes: Text | None = Field(None, max_length=10_000)


class MaintenanceWindowCreate(BaseModel):
    name: Line = Field(min_length=1, max_length=200)
    reason: Text = Field("", max_length=2000)
    starts_at: UTCTime
    ends_at: UTCTime
    device_id: uuid.UUID | None = None
    site_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _ordered(self) -> MaintenanceWindowCreate:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if self.device_id is not None and self.site_id is not None:
            raise ValueError("scope a window to a device or a site, not both")
        return self


class MaintenanceWindowUpdate(BaseModel):
    name: Line | None = Field(None, min_length=1, max_length=200)
    reason: Text | None = Field(None, max_length=2000)
    starts_at: UTCTime | None = None
    ends_at: UTCTime | None = None


class MaintenanceWindowOut(ORM):
    id: uuid.UUID
    name: str
    reason: str
    starts_at: datetime
    ends_at: datetime
    device_id: uuid.UUID | None
    site_id: uuid.UUID | None
    created_at: datetime
