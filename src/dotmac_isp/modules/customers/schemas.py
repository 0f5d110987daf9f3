"""Customer API bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator

from dotmac_isp.modules.customers.enums import (
    AddressKind,
    ContactRole,
    CustomerKind,
    CustomerStatus,
)
from dotmac_isp.shared.geo import both_or_neither
from dotmac_isp.shared.money import CurrencyCode

Phone = Field("", max_length=40, pattern=r"^[0-9+()\-. ]*$")
MAX_TAGS = 50


def _clean_tags(tags: list[str]) -> list[str]:
    cleaned = sorted({t.strip().lower() for t in tags if t.strip()})
    if any(len(t) > 40 for t in cleaned):
        raise ValueError("tags are at most 40 characters")
    return cleaned


def _check_custom_fields(fields: dict[str, Any]) -> dict[str, Any]:
    for key, value in fields.items():
        if not key or len(key) > 64:
            raise ValueError("custom field names are 1 to 64 characters")
        if not isinstance(value, str | int | float | bool) and value is not None:
            raise ValueError(f"custom field {key!r} must be a string, number, boolean or null")
        if isinstance(value, str) and len(value) > 1000:
            raise ValueError(f"custom field {key!r} is longer than 1000 characters")
    if len(fields) > 100:
        raise ValueError("at most 100 custom fields")
    return fields


class AddressIn(BaseModel):
    kind: AddressKind = AddressKind.SERVICE
    label: str = Field("", max_length=100)
    line1: str = Field(min_length=1, max_length=200)
    line2: str = Field("", max_length=200)
    city: str = Field("", max_length=100)
    region: str = Field("", max_length=100)
    postal_code: str = Field("", max_length=20)
    country: str = Field("", max_length=2, pattern=r"^([A-Za-z]{2})?$")
    latitude: Decimal | None = Field(None, ge=-90, le=90, max_digits=9, decimal_places=6)
    longitude: Decimal | None = Field(None, ge=-180, le=180, max_digits=9, decimal_places=6)

    @field_validator("country")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @model_validator(mode="after")
    def _both_coordinates(self) -> AddressIn:
        both_or_neither(self.latitude, self.longitude)
        return self


class AddressOut(AddressIn):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID


class ContactIn(BaseModel):
    role: ContactRole = ContactRole.PRIMARY
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr | None = None
    phone: str = Phone


class ContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    role: str
    name: str
    email: str
    phone: str


class CustomerBase(BaseModel):
    kind: CustomerKind = CustomerKind.RESIDENTIAL
    first_name: str = Field("", max_length=100)
    last_name: str = Field("", max_length=100)
    company_name: str = Field("", max_length=200)
    email: EmailStr | None = None
    phone: str = Phone
    tax_id: str = Field("", max_length=64)
    tax_exempt: bool = False
    tax_exempt_reason: str = Field("", max_length=200)
    tags: list[str] = Field(default_factory=list, max_length=MAX_TAGS)
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    notes: str = Field("", max_length=10_000)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        return _clean_tags(value)

    @field_validator("custom_fields")
    @classmethod
    def _fields(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _check_custom_fields(value)


class CustomerCreate(CustomerBase):
    status: CustomerStatus = CustomerStatus.LEAD
    reseller_id: uuid.UUID | None = Field(
        None, description="the reseller who brought the customer (reseller staff: their own, "
                          "set for them)")
    currency: CurrencyCode | None = None
    addresses: list[AddressIn] = Field(default_factory=list, max_length=20)
    contacts: list[ContactIn] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _named(self) -> CustomerCreate:
        if self.kind == CustomerKind.BUSINESS and not self.company_name.strip():
            raise ValueError("a business customer needs a company_name")
        if not (self.first_name.strip() or self.last_name.strip() or self.company_name.strip()):
            raise ValueError("give a first_name/last_name or a company_name")
        if self.tax_exempt and not self.tax_exempt_reason.strip():
            raise ValueError("a tax-exempt customer needs a tax_exempt_reason")
        if self.status == CustomerStatus.CLOSED:
            raise ValueError("a new customer cannot start closed")
        return self


class CustomerUpdate(BaseModel):
    kind: CustomerKind | None = None
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    company_name: str | None = Field(None, max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(None, max_length=40, pattern=r"^[0-9+()\-. ]*$")
    tax_id: str | None = Field(None, max_length=64)
    tax_exempt: bool | None = None
    tax_exempt_reason: str | None = Field(None, max_length=200)
    tags: list[str] | None = Field(None, max_length=MAX_TAGS)
    custom_fields: dict[str, Any] | None = None
    notes: str | None = Field(None, max_length=10_000)
    reseller_id: uuid.UUID | None = Field(
        None, description="move the customer to this reseller; null: the tenant's own")

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _clean_tags(value)

    @field_validator("custom_fields")
    @classmethod
    def _fields(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if value is None else _check_custom_fields(value)


class CustomerStatusChange(BaseModel):
    status: CustomerStatus
    reason: str = Field("", max_length=500)


class CustomerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    number: str
    kind: str
    status: str
    display_name: str
    first_name: str
    last_name: str
    company_name: str
    email: str
    phone: str
    tax_id: str
    tax_exempt: bool
    tax_exempt_reason: str
    currency: str
    tags: list[str]
    custom_fields: dict[str, Any]
    notes: str
    reseller_id: uuid.UUID | None = None
    status_changed_at: datetime
    created_at: datetime
    updated_at: datetime
    addresses: list[AddressOut]
    contacts: list[ContactOut]


class CustomerSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    number: str
    kind: str
    status: str
    display_name: str
    email: str
    phone: str
    tags: list[str]
    reseller_id: uuid.UUID | None = None
    created_at: datetime


class ImportRowError(BaseModel):
    line: int
    errors: list[str]


class ImportResult(BaseModel):
    created: int
    failed: int
    errors: list[ImportRowError]
    dry_run: bool


class PortalAccountCreate(BaseModel):
    login: EmailStr | None = Field(None, description="defaults to the customer's email")
    password: str | None = Field(None, min_length=1, max_length=256,
                                 description="omit to generate one")


class PortalAccountOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    customer_id: uuid.UUID
    login: str
    is_active: bool
    locked_until: datetime | None
    last_login_at: datetime | None
    created_at: datetime


class PortalAccountCreated(PortalAccountOut):
    password: str | None = Field(None, description="the generated password, shown once")
