"""Plan and subscription API bodies. ServiceStatusUpdate is the lifecycle's input."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from dotmac_isp.modules.services.enums import (
    BillingCycle,
    PlanKind,
    SubscriptionStatus,
)
from dotmac_isp.shared.money import CurrencyCode, MoneyAmount
from dotmac_isp.shared.timestamps import UTCDateTimeIn

Kbps = Field(None, ge=1, le=100_000_000)
Money = Field(ge=0, max_digits=14, decimal_places=4)
RADIUS_ATTR_NAME = r"^[A-Za-z][A-Za-z0-9\-:]{0,63}$"


class PlanFields(BaseModel):
    description: str = Field("", max_length=2000)
    download_kbps: int | None = Kbps
    upload_kbps: int | None = Kbps
    burst_download_kbps: int | None = Kbps
    burst_upload_kbps: int | None = Kbps
    burst_threshold_download_kbps: int | None = Kbps
    burst_threshold_upload_kbps: int | None = Kbps
    burst_time_seconds: int | None = Field(None, ge=1, le=3600)
    data_cap_mb: int | None = Field(None, ge=1, le=10**12)
    fup_download_kbps: int | None = Kbps
    fup_upload_kbps: int | None = Kbps
    billing_cycle: BillingCycle = BillingCycle.MONTHLY
    setup_fee: Decimal = Field(Decimal("0"), ge=0, max_digits=14, decimal_places=4)
    min_contract_months: int = Field(0, ge=0, le=120)
    session_timeout_seconds: int | None = Field(None, ge=60, le=31 * 86400)
    interim_interval_seconds: int = Field(300, ge=60, le=86400)
    ipv4_pool_id: uuid.UUID | None = None
    ipv6_pd_pool_id: uuid.UUID | None = None
    radius_attributes: dict[str, str | int] = Field(default_factory=dict)
    require_cpe_mac: bool = Field(False, description="RADIUS accepts only from the MAC of "
                                                     "the CPE installed at the subscription")

    @field_validator("radius_attributes")
    @classmethod
    def _attr_names(cls, value: dict[str, Any]) -> dict[str, Any]:
        bad = [k for k in value if not re.match(RADIUS_ATTR_NAME, k)]
        if bad or len(value) > 30:
            raise ValueError(f"invalid RADIUS attribute names: {', '.join(bad) or 'too many'}")
        return value


class PlanCreate(PlanFields):
    name: str = Field(min_length=1, max_length=100)
    kind: PlanKind = PlanKind.INTERNET
    price: Decimal = Money
    currency: CurrencyCode | None = None

    @model_validator(mode="after")
    def _speeds(self) -> PlanCreate:
        check_plan_speeds(self.kind, self)
        return self


def check_plan_speeds(kind: PlanKind | str, plan: Any) -> None:
    if kind == PlanKind.INTERNET and not (plan.download_kbps and plan.upload_kbps):
        raise ValueError("an internet plan needs download_kbps and upload_kbps")
    for direction in ("download", "upload"):
        base = getattr(plan, f"{direction}_kbps")
        burst = getattr(plan, f"burst_{direction}_kbps")
        threshold = getattr(plan, f"burst_threshold_{direction}_kbps")
        fup = getattr(plan, f"fup_{direction}_kbps")
        if burst is not None and (base is None or burst <= base):
            raise ValueError(f"burst_{direction}_kbps must be above {direction}_kbps")
        if threshold is not None and (burst is None or threshold > burst):
            raise ValueError(f"burst_threshold_{direction}_kbps needs a burst and must not "
                             f"exceed it")
        if fup is not None and base is not None and fup >= base:
            raise ValueError(f"fup_{direction}_kbps (speed after the cap) must be below "
                             f"{direction}_kbps")
    if (plan.burst_download_kbps or plan.burst_upload_kbps) and not plan.burst_time_seconds:
        raise ValueError("a burst needs burst_time_seconds")
    if (plan.fup_download_kbps or plan.fup_upload_kbps) and not plan.data_cap_mb:
        raise ValueError("a speed after the cap needs data_cap_mb")


class PlanUpdate(BaseModel):
    """Commercial fields only; speeds and pools change by creating a new plan, so existing
    subscribers keep what they signed up for. Prices apply from the next billing period."""

    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=2000)
    price: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=4)
    setup_fee: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=4)
    min_contract_months: int | None = Field(None, ge=0, le=120)
    session_timeout_seconds: int | None = Field(None, ge=60, le=31 * 86400)
    interim_interval_seconds: int | None = Field(None, ge=60, le=86400)
    require_cpe_mac: bool | None = None


class PlanOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    description: str
    kind: str
    download_kbps: int | None
    upload_kbps: int | None
    burst_download_kbps: int | None
    burst_upload_kbps: int | None
    burst_threshold_download_kbps: int | None
    burst_threshold_upload_kbps: int | None
    burst_time_seconds: int | None
    data_cap_mb: int | None
    fup_download_kbps: int | None
    fup_upload_kbps: int | None
    price: MoneyAmount
    currency: str
    billing_cycle: str
    setup_fee: MoneyAmount
    min_contract_months: int
    session_timeout_seconds: int | None
    interim_interval_seconds: int
    ipv4_pool_id: uuid.UUID | None
    ipv6_pd_pool_id: uuid.UUID | None
    radius_attributes: dict[str, Any]
    require_cpe_mac: bool
    is_archived: bool
    archived_at: datetime | None
    created_at: datetime


class AddonCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=2000)
    price: Decimal = Money
    currency: CurrencyCode | None = None
    recurring: bool = True
    plan_kinds: list[PlanKind] = Field(default_factory=list)


class AddonUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=2000)
    price: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=4)
    is_archived: bool | None = None


class AddonOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    description: str
    price: MoneyAmount
    currency: str
    recurring: bool
    plan_kinds: list[str]
    is_archived: bool


class SubscriptionCreate(BaseModel):
    customer_id: uuid.UUID
    plan_id: uuid.UUID
    service_address_id: uuid.UUID | None = None
    radius_username: str | None = Field(None, min_length=3, max_length=64,
                                        pattern=r"^[A-Za-z0-9._@\-]+$")
    radius_password: str | None = Field(None, min_length=6, max_length=64,
                                        pattern=r"^[\x21-\x7e]+$")
    contract_end_date: date | None = None
    notes: str = Field("", max_length=5000)


class SubscriptionUpdate(BaseModel):
    service_address_id: uuid.UUID | None = None
    contract_end_date: date | None = None
    notes: str | None = Field(None, max_length=5000)


class ServiceStatusUpdate(BaseModel):
    """Move a subscription to another status now, or at effective_at in the future."""

    status: SubscriptionStatus
    reason: str = Field("", max_length=500)
    effective_at: UTCDateTimeIn | None = Field(
        None, description="omit for now; a future time schedules the change; a past time (at "
                          "most 31 days back, not before the subscription's last change) "
                          "applies it as of then; UTC if no zone. For termination this is the "
                          "first day not used: terminating on the 10th credits the 10th "
                          "onwards")
    notify: bool = Field(False, description="tell the customer about the change")


class PlanChangeRequest(BaseModel):
    plan_id: uuid.UUID
    reason: str = Field("", max_length=500)
    effective_at: UTCDateTimeIn | None = Field(
        None, description="omit for now; a future time schedules the change; a past time "
                          "(at most 31 days back, not before the subscription's last change) "
                          "applies it as of then, prorated from that day; UTC if no zone")


class AddonAttach(BaseModel):
    addon_id: uuid.UUID
    quantity: int = Field(1, ge=1, le=1000)


class SubscriptionAddonOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    addon_id: uuid.UUID
    quantity: int
    unit_price: MoneyAmount
    created_at: datetime
    removed_at: datetime | None


class SubscriptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    customer_id: uuid.UUID
    plan_id: uuid.UUID
    plan_name: str
    service_address_id: uuid.UUID | None
    status: str
    radius_username: str
    notes: str
    status_changed_at: datetime
    activated_at: datetime | None
    suspended_at: datetime | None
    suspend_reason: str
    terminated_at: datetime | None
    contract_end_date: date | None
    billing_start_date: date | None = None
    created_at: datetime

    @classmethod
    def of(cls, sub: Any) -> SubscriptionOut:
        data = {k: getattr(sub, k) for k in cls.model_fields if k != "plan_name"}
        return cls.model_validate({**data, "plan_name": sub.plan.name})


class Credentials(BaseModel):
    radius_username: str
    radius_password: str


class StatusChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    from_status: str | None
    to_status: str
    reason: str
    actor_type: str
    actor_label: str
    effective_at: datetime
    notify: bool


class ScheduledChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    subscription_id: uuid.UUID
    action: str
    target_status: str | None
    new_plan_id: uuid.UUID | None
    effective_at: datetime
    reason: str
    notify: bool
    state: str
    applied_at: datetime | None
    error: str
    requested_by: str


class TransitionResult(BaseModel):
    """Either the subscription as it is now, or the change scheduled for later."""

    subscription: SubscriptionOut
    scheduled: ScheduledChangeOut | None = None
