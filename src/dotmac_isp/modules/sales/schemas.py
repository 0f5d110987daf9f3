"""Sales API bodies."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator

from dotmac_isp.modules.sales.enums import LeadSource, LeadStage, LineKind
from dotmac_isp.modules.support.validation import CleanBody
from dotmac_isp.shared.geo import both_or_neither

Phone = Field("", max_length=40, pattern=r"^[0-9+()\-. ]*$")
Latitude = Field(None, ge=Decimal(-90), le=Decimal(90), max_digits=9, decimal_places=6)
Longitude = Field(None, ge=Decimal(-180), le=Decimal(180), max_digits=9, decimal_places=6)
MAX_TEXT = 10_000


class LeadFields(CleanBody):
    """What a lead holds; every field optional so PATCH sends only what changes."""

    email: EmailStr | None = None
    phone: str = Phone
    address_line1: str = Field("", max_length=200)
    address_line2: str = Field("", max_length=200)
    city: str = Field("", max_length=100)
    region: str = Field("", max_length=100)
    postal_code: str = Field("", max_length=20)
    country: str = Field("", max_length=2, pattern=r"^([A-Za-z]{2})?$")
    latitude: Decimal | None = Latitude
    longitude: Decimal | None = Longitude
    owner_id: uuid.UUID | None = None
    follow_up_date: date | None = None

    @field_validator("country")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @field_validator("follow_up_date")
    @classmethod
    def _sane_day(cls, value: date | None) -> date | None:
        if value is not None and not date(2000, 1, 1) <= value <= date(2999, 12, 31):
            raise ValueError("a follow-up date between 2000 and 2999")
        return value

    @model_validator(mode="after")
    def _pair(self) -> LeadFields:
        both_or_neither(self.latitude, self.longitude)
        return self


class LeadCreate(LeadFields):
    name: str = Field(min_length=1, max_length=200)
    source: LeadSource = LeadSource.STAFF
    message: str = Field("", max_length=MAX_TEXT)

    @field_validator("name")
    @classmethod
    def _named(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("give the prospect's name")
        return value

    @model_validator(mode="after")
    def _reachable(self) -> LeadCreate:
        if not self.email and not self.phone.strip():
            raise ValueError("give an email or a phone number to reach the prospect")
        return self


class LeadUpdate(CleanBody):
    """Only the fields sent change; null clears the owner, the follow-up or the coordinates."""

    name: str | None = Field(None, min_length=1, max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(None, max_length=40, pattern=r"^[0-9+()\-. ]*$")
    address_line1: str | None = Field(None, max_length=200)
    address_line2: str | None = Field(None, max_length=200)
    city: str | None = Field(None, max_length=100)
    region: str | None = Field(None, max_length=100)
    postal_code: str | None = Field(None, max_length=20)
    country: str | None = Field(None, max_length=2, pattern=r"^([A-Za-z]{2})?$")
    latitude: Decimal | None = Latitude
    longitude: Decimal | None = Longitude
    owner_id: uuid.UUID | None = None
    follow_up_date: date | None = None

    @model_validator(mode="after")
    def _pair(self) -> LeadUpdate:
        if ("latitude" in self.model_fields_set) != ("longitude" in self.model_fields_set):
            raise ValueError("give both latitude and longitude, or neither")
        both_or_neither(self.latitude, self.longitude)
        return self


class StageMove(CleanBody):
    stage: LeadStage
    lost_reason: str = Field("", max_length=500)
    note: str = Field("", max_length=2000)


class NoteIn(CleanBody):
    body: str = Field(min_length=1, max_length=MAX_TEXT)


class LeadOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    number: str
    name: str
    email: str
    phone: str
    address_line1: str
    address_line2: str
    city: str
    region: str
    postal_code: str
    country: str
    latitude: Decimal | None
    longitude: Decimal | None
    source: str
    stage: str
    stage_changed_at: datetime
    owner_id: uuid.UUID | None
    follow_up_date: date | None
    lost_reason: str
    message: str
    consent_at: datetime | None
    customer_id: uuid.UUID | None
    work_order_id: uuid.UUID | None
    converted_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ActivityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    kind: str
    body: str
    from_stage: str | None
    to_stage: str | None
    actor_type: str
    actor_label: str
    created_at: datetime


class LineIn(CleanBody):
    """A plan line (plan_id; its price and the contract term unless given) or a one-off
    item (installation, equipment, other) with its own description and price."""

    kind: LineKind
    plan_id: uuid.UUID | None = None
    description: str = Field("", max_length=300)
    quantity: int = Field(1, ge=1, le=10_000)
    unit_price: Decimal | None = Field(None, ge=0, le=Decimal("1000000"), max_digits=14,
                                       decimal_places=4)
    term_months: int | None = Field(None, ge=0, le=120)

    @model_validator(mode="after")
    def _shape(self) -> LineIn:
        if self.kind == LineKind.SETUP:
            raise ValueError("a plan's setup fee is added with its plan line")
        if self.kind == LineKind.PLAN:
            if self.plan_id is None:
                raise ValueError("a plan line needs plan_id")
        else:
            if self.plan_id is not None:
                raise ValueError("only a plan line names a plan")
            if not self.description.strip():
                raise ValueError("a one-off item needs a description")
            if self.unit_price is None:
                raise ValueError("a one-off item needs a unit_price")
        return self


class QuoteCreate(CleanBody):
    lead_id: uuid.UUID
    valid_until: date | None = None
    notes: str = Field("", max_length=MAX_TEXT)
    lines: list[LineIn] = Field(default_factory=list, max_length=50)


class QuoteUpdate(CleanBody):
    valid_until: date | None = None
    notes: str | None = Field(None, max_length=MAX_TEXT)


class LineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    position: int
    kind: str
    plan_id: uuid.UUID | None
    description: str
    quantity: int
    unit_price: Decimal
    term_months: int
    net_amount: Decimal
    tax_amount: Decimal
    gross_amount: Decimal
    taxes: list[dict[str, Any]]
    subscription_id: uuid.UUID | None


class QuoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    lead_id: uuid.UUID
    number: str
    status: str
    currency: str
    valid_until: date
    notes: str
    prices_include_tax: bool
    monthly_subtotal: Decimal
    monthly_tax: Decimal
    monthly_total: Decimal
    one_off_subtotal: Decimal
    one_off_tax: Decimal
    one_off_total: Decimal
    sent_at: datetime | None
    sent_to: str
    accepted_at: datetime | None
    accepted_name: str
    declined_at: datetime | None
    decline_reason: str
    answered_from: str
    created_at: datetime
    updated_at: datetime
    lines: list[LineOut] = Field(default_factory=list)


class SentOut(BaseModel):
    quote: QuoteOut
    link: str = Field(description="the signed link emailed to the prospect")
    link_expires_at: datetime


class ConversionOut(BaseModel):
    lead_id: uuid.UUID
    customer_id: uuid.UUID
    subscription_ids: list[uuid.UUID]
    work_order_id: uuid.UUID | None
    converted_at: datetime
    created: bool = Field(description="false when the lead had been converted already")


class SalesSettingsIn(CleanBody):
    sales_email: EmailStr | None = None
    quote_validity_days: int = Field(30, ge=1, le=365)
    quote_terms: str = Field("", max_length=MAX_TEXT)


class SalesSettingsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    sales_email: str
    quote_validity_days: int
    quote_terms: str


class CoverageOut(BaseModel):
    located: bool = Field(description="the lead has coordinates")
    can_geocode: bool = Field(description="a geocoder is configured to place the address")
    message: str
    coverage: dict[str, Any] | None = Field(
        None, description="serving sites and plans, as the map's coverage check answers")
