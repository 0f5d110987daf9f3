"""Reseller API bodies."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from dotmac_isp.modules.resellers.enums import ResellerStatus
from dotmac_isp.modules.support.validation import CleanBody

SLUG = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
COLOUR = r"^#[0-9a-fA-F]{6}$"
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class ResellerIn(CleanBody):
    name: str = Field(min_length=1, max_length=200)
    slug: str = Field(min_length=1, max_length=63, pattern=SLUG,
                      description="the reseller's part of its portal address: "
                                  "/portal/{tenant}/r/{slug}")
    status: ResellerStatus = ResellerStatus.ACTIVE
    contact_name: str = Field("", max_length=200)
    email: EmailStr | None = None
    phone: str = Field("", max_length=40, pattern=r"^[0-9+()\-. ]*$")
    notes: str = Field("", max_length=10_000)
    display_name: str = Field("", max_length=200,
                              description="the name its customers see; empty: the name")
    primary_colour: str = Field("#1f4e79", pattern=COLOUR)
    accent_colour: str = Field("#f0a500", pattern=COLOUR)

    @field_validator("name", "display_name", "contact_name")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()


class ResellerUpdate(CleanBody):
    name: str | None = Field(None, min_length=1, max_length=200)
    slug: str | None = Field(None, min_length=1, max_length=63, pattern=SLUG)
    status: ResellerStatus | None = None
    contact_name: str | None = Field(None, max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(None, max_length=40, pattern=r"^[0-9+()\-. ]*$")
    notes: str | None = Field(None, max_length=10_000)
    display_name: str | None = Field(None, max_length=200)
    primary_colour: str | None = Field(None, pattern=COLOUR)
    accent_colour: str | None = Field(None, pattern=COLOUR)


class ResellerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    slug: str
    status: str
    contact_name: str
    email: str
    phone: str
    notes: str
    display_name: str
    primary_colour: str
    accent_colour: str
    logo_type: str | None
    created_at: datetime
    updated_at: datetime


class StaffOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    email: str
    full_name: str
    is_active: bool


class RuleIn(BaseModel):
    plan_id: uuid.UUID | None = Field(
        None, description="the plan; null: every plan without a rule of its own")
    percent: Decimal = Field(Decimal("0"), ge=0, le=100, max_digits=7, decimal_places=4,
                             description="percent of what the customers pay, net of tax")
    activation_amount: Decimal = Field(Decimal("0"), ge=0, max_digits=14, decimal_places=2,
                                       description="paid once per subscription activated")


class RuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    reseller_id: uuid.UUID
    plan_id: uuid.UUID | None
    percent: Decimal
    activation_amount: Decimal


class StatementRequest(BaseModel):
    month: str = Field(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")

    def first_day(self) -> date:
        return month_start(self.month)


def month_start(text: str) -> date:
    """The first day of a YYYY-MM month; ValueError with what to type."""
    found = MONTH.match(text.strip())
    if not found or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 2000:
        raise ValueError(f"{text!r} is not a month: use the form YYYY-MM, e.g. 2026-03")
    return date(int(found.group(1)), int(found.group(2)), 1)


class StatementLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    kind: str
    occurred_on: date
    customer_id: uuid.UUID | None  # None on a voucher batch purchase (source_id: the batch)
    source_id: uuid.UUID
    invoice_id: uuid.UUID | None
    plan_id: uuid.UUID | None
    description: str
    base_amount: Decimal
    percent: Decimal
    amount: Decimal


class StatementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    reseller_id: uuid.UUID
    period_start: date
    period_end: date
    currency: str
    status: str
    total: Decimal
    computed_at: datetime
    approved_at: datetime | None
    approved_by: str


class StatementDetail(StatementOut):
    lines: list[StatementLineOut]
