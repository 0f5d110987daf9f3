"""Hotspot API bodies."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from dotmac_isp.modules.hotspot.codes import DEFAULT_LENGTH, MAX_LENGTH, MIN_LENGTH
from dotmac_isp.modules.hotspot.enums import PortalFlow
from dotmac_isp.shared.money import CurrencyCode, MoneyAmount, PlainAmount

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
COLOUR = r"^#[0-9a-fA-F]{6}$"
MAX_BATCH = 10_000
YEAR = 366 * 86400


class CleanBody(BaseModel):
    """Strings without control characters (PostgreSQL refuses NUL; nobody types the rest)."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        if isinstance(value, str) and CONTROL.search(value):
            raise ValueError("control characters (such as NUL) are not allowed")
        return value


class PlanFields(CleanBody):
    description: str = Field("", max_length=2000)
    time_allowance_seconds: int | None = Field(None, ge=60, le=10 * YEAR)
    data_allowance_bytes: int | None = Field(None, ge=1_000_000, le=10**15)
    validity_seconds: int | None = Field(None, ge=60, le=10 * YEAR)
    download_kbps: int | None = Field(None, ge=1, le=100_000_000)
    upload_kbps: int | None = Field(None, ge=1, le=100_000_000)
    devices: int = Field(1, ge=1, le=100)
    mac_login: bool = False
    is_active: bool = True


def check_wholesale(price: Decimal | None, wholesale: Decimal | None) -> None:
    """A reseller never pays more than the voucher's retail price."""
    if wholesale is not None and price is not None and wholesale > price:
        raise ValueError(f"may not exceed the retail amount ({price:.2f}); {wholesale:.2f} "
                         f"was given")


def check_plan(plan: Any) -> None:
    if not (plan.time_allowance_seconds or plan.data_allowance_bytes or plan.validity_seconds):
        raise ValueError("a voucher plan needs a time allowance, a data allowance or a "
                         "validity, or its vouchers would never run out")
    if bool(plan.download_kbps) != bool(plan.upload_kbps):
        raise ValueError("give both download_kbps and upload_kbps, or neither")


class PlanCreate(PlanFields):
    name: str = Field(min_length=1, max_length=100)
    price: PlainAmount = Field(ge=0, max_digits=14, decimal_places=2)
    # what a reseller pays a voucher bought in a batch (the plan's currency)
    wholesale_price: PlainAmount | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    currency: CurrencyCode | None = None

    @field_validator("wholesale_price")
    @classmethod
    def _not_above_retail(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        check_wholesale(info.data.get("price"), value)
        return value

    @model_validator(mode="after")
    def _whole(self) -> PlanCreate:
        check_plan(self)
        return self


class PlanUpdate(CleanBody):
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=2000)
    price: PlainAmount | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    wholesale_price: PlainAmount | None = Field(None, ge=0, max_digits=14, decimal_places=2,
                                                description="null: not sold wholesale")
    time_allowance_seconds: int | None = Field(None, ge=60, le=10 * YEAR)
    data_allowance_bytes: int | None = Field(None, ge=1_000_000, le=10**15)
    validity_seconds: int | None = Field(None, ge=60, le=10 * YEAR)
    download_kbps: int | None = Field(None, ge=1, le=100_000_000)
    upload_kbps: int | None = Field(None, ge=1, le=100_000_000)
    devices: int | None = Field(None, ge=1, le=100)
    mac_login: bool | None = None
    is_active: bool | None = None


class PlanOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    description: str
    price: MoneyAmount
    wholesale_price: MoneyAmount | None
    currency: str
    time_allowance_seconds: int | None
    data_allowance_bytes: int | None
    validity_seconds: int | None
    download_kbps: int | None
    upload_kbps: int | None
    devices: int
    mac_login: bool
    is_active: bool
    created_at: datetime


class BatchCreate(CleanBody):
    plan_id: uuid.UUID
    count: int = Field(ge=1, le=MAX_BATCH)
    name: str = Field("", max_length=100)
    note: str = Field("", max_length=2000)
    code_length: int = Field(DEFAULT_LENGTH, ge=MIN_LENGTH, le=MAX_LENGTH)
    reseller_id: uuid.UUID | None = Field(
        None, description="sell the new batch to this reseller at the plan's wholesale price")


class BatchOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    plan_id: uuid.UUID
    name: str
    count: int
    note: str
    created_by: str
    created_at: datetime
    # the sale to a reseller, when sold: unit price x quantity (unused vouchers) = total
    reseller_id: uuid.UUID | None
    unit_price: MoneyAmount | None
    quantity: int | None
    total: MoneyAmount | None
    currency: str | None
    sold_at: datetime | None
    sold_by: str | None


class SellToResellerIn(BaseModel):
    reseller_id: uuid.UUID


class VoucherOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    batch_id: uuid.UUID
    plan_id: uuid.UUID
    code: str
    state: str
    mac: str | None
    activated_at: datetime | None
    expires_at: datetime | None
    finished_at: datetime | None
    used_seconds: int
    used_octets: int
    sold_to: str
    sold_at: datetime | None
    revoked_reason: str
    created_at: datetime


class VoucherSessionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    acctuniqueid: str
    username: str
    seconds: int
    octets: int
    started_at: datetime
    updated_at: datetime
    stopped_at: datetime | None


class SellIn(CleanBody):
    sold_to: str = Field(min_length=1, max_length=200)


class RevokeIn(CleanBody):
    reason: str = Field("", max_length=200)


class SiteFields(CleanBody):
    flow: PortalFlow = PortalFlow.MIKROTIK
    login_url: str = Field("", max_length=500)
    allowed_hosts: str = Field("", max_length=500)
    title: str = Field("", max_length=100)
    welcome: str = Field("", max_length=4000)
    terms: str = Field("", max_length=20000)
    primary_color: str = Field("#0b5cad", pattern=COLOUR)
    background_color: str = Field("#f4f6f9", pattern=COLOUR)
    is_default: bool = False

    @field_validator("login_url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = value.strip()
        if value and not re.match(r"^https?://[^\s/?#]+[^\s]*$", value):
            raise ValueError("must be an http:// or https:// address, such as "
                             "http://10.5.50.1/login")
        return value

    @model_validator(mode="after")
    def _external_needs_url(self) -> SiteFields:
        if self.flow == PortalFlow.EXTERNAL and not self.login_url:
            raise ValueError("an external portal needs the NAS's login_url")
        return self


class SiteCreate(SiteFields):
    name: str = Field(min_length=1, max_length=100)


class SiteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    flow: str
    login_url: str
    allowed_hosts: str
    title: str
    welcome: str
    terms: str
    primary_color: str
    background_color: str
    is_default: bool
    created_at: datetime


def price_text(price: Decimal, currency: str) -> str:
    return f"{price:.2f} {currency}"
