"""Sales tables: leads with their activity timeline, quotes and their lines, the tenant's
sales settings, and the per-address counter that limits public enquiries."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from dotmac_isp.shared.db import Audited, Base, TenantOwned, Timestamps, UUIDPrimaryKey
from dotmac_isp.shared.money import MoneyColumn
from dotmac_isp.shared.types import JSONType, UTCDateTime, utcnow

ZERO = Decimal("0")


class Lead(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """A prospect: who, where, how they came, how far along, who works them."""

    __tablename__ = "sales_leads"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        Index("ix_sales_leads_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_sales_leads_tenant_stage", "tenant_id", "stage", "created_at"),
        Index("ix_sales_leads_tenant_owner", "tenant_id", "owner_id"),
        Index("ix_sales_leads_tenant_follow_up", "tenant_id", "follow_up_date"),
    )

    number: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    address_line1: Mapped[str] = mapped_column(String(200), default="")
    address_line2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    region: Mapped[str] = mapped_column(String(100), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6), nullable=True)
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6), nullable=True)
    source: Mapped[str] = mapped_column(String(16), default="staff")
    stage: Mapped[str] = mapped_column(String(16), default="new")
    stage_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    follow_up_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    lost_reason: Mapped[str] = mapped_column(String(500), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # What conversion made of the lead (set once, in the converting transaction)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("customers.id", ondelete="SET NULL"), nullable=True, unique=True)
    work_order_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("work_orders.id", ondelete="SET NULL"), nullable=True)
    converted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    def address_text(self) -> str:
        parts = [self.address_line1, self.address_line2, self.city, self.region,
                 self.postal_code, self.country]
        return ", ".join(p for p in parts if p)


class LeadActivity(UUIDPrimaryKey, TenantOwned, Base):
    """One entry of a lead's timeline: a note, a move, a quote sent or answered."""

    __tablename__ = "sales_lead_activities"
    __table_args__ = (Index("ix_sales_lead_activities_lead", "lead_id", "created_at"),)

    lead_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("sales_leads.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    body: Mapped[str] = mapped_column(Text, default="")
    from_stage: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_stage: Mapped[str | None] = mapped_column(String(16), nullable=True)
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    actor_label: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Quote(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """An offer to a lead: monthly plans and one-off items, taxed, valid until a date."""

    __tablename__ = "sales_quotes"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        Index("ix_sales_quotes_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_sales_quotes_lead", "lead_id", "created_at"),
    )
    __audit_exclude__ = frozenset({"link_nonce"})

    lead_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("sales_leads.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    currency: Mapped[str] = mapped_column(String(3))
    valid_until: Mapped[date] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    prices_include_tax: Mapped[bool] = mapped_column(Boolean, default=False)
    monthly_subtotal: Mapped[Decimal] = mapped_column(MoneyColumn, default=ZERO)
    monthly_tax: Mapped[Decimal] = mapped_column(MoneyColumn, default=ZERO)
    monthly_total: Mapped[Decimal] = mapped_column(MoneyColumn, default=ZERO)
    one_off_subtotal: Mapped[Decimal] = mapped_column(MoneyColumn, default=ZERO)
    one_off_tax: Mapped[Decimal] = mapped_column(MoneyColumn, default=ZERO)
    one_off_total: Mapped[Decimal] = mapped_column(MoneyColumn, default=ZERO)
    # The link emailed last names this; sending again (or changing the quote) replaces it,
    # so an older link stops working.
    link_nonce: Mapped[str | None] = mapped_column(String(64), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_to: Mapped[str] = mapped_column(String(254), default="")
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    accepted_name: Mapped[str] = mapped_column(String(200), default="")
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decline_reason: Mapped[str] = mapped_column(String(500), default="")
    answered_from: Mapped[str] = mapped_column(String(45), default="")  # client address
    # When the one-off items went onto the customer's first invoice
    one_offs_billed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def name(self) -> str:
        return self.number


class QuoteLine(UUIDPrimaryKey, TenantOwned, Audited, Base):
    """A plan (monthly price, contract term) or a one-off item, with its taxes."""

    __tablename__ = "sales_quote_lines"
    __table_args__ = (Index("ix_sales_quote_lines_quote", "quote_id", "position"),)

    quote_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("sales_quotes.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    plan_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("plans.id", ondelete="RESTRICT"), nullable=True)
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    unit_price: Mapped[Decimal] = mapped_column(MoneyColumn)
    term_months: Mapped[int] = mapped_column(Integer, default=0)
    net_amount: Mapped[Decimal] = mapped_column(MoneyColumn, default=ZERO)
    tax_amount: Mapped[Decimal] = mapped_column(MoneyColumn, default=ZERO)
    gross_amount: Mapped[Decimal] = mapped_column(MoneyColumn, default=ZERO)
    taxes: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # The pending subscription conversion made of a plan line
    subscription_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("subscriptions.id", ondelete="SET NULL"), nullable=True)

    @property
    def name(self) -> str:
        return self.description

    @property
    def monthly(self) -> bool:
        return self.kind == "plan"


class SalesSettings(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """Where enquiries are emailed, how long a quote is valid, the terms a prospect accepts."""

    __tablename__ = "sales_settings"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    sales_email: Mapped[str] = mapped_column(String(254), default="")
    quote_validity_days: Mapped[int] = mapped_column(Integer, default=30)
    quote_terms: Mapped[str] = mapped_column(Text, default="")


class EnquiryCounter(Base):
    """Enquiries stored from one client address in the current hour (one row per address,
    reused when its hour has passed): the rate limit holds across processes."""

    __tablename__ = "sales_enquiry_counters"

    client_address: Mapped[str] = mapped_column(String(45), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(Integer, default=0)
