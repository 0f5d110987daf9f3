"""Customer tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dotmac_isp.shared.db import Audited, Base, TenantOwned, Timestamps, UUIDPrimaryKey
from dotmac_isp.shared.trigram import trigram_index
from dotmac_isp.shared.types import JSONType, UTCDateTime, utcnow

# How the list sorts customers by name (the company for a business, else the surname),
# indexed as an expression; customers/listing.py builds the same expression. Laid out as
# PostgreSQL prints it back, so the schema comparison sees the index it made.
SORT_NAME_SQL = ("lower(\nCASE\n    WHEN kind = 'business' THEN company_name\n"
                 "    ELSE last_name\nEND)")


class Customer(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        # the list's sorts, each read by key on (column, id)
        Index("ix_customers_tenant_status_id", "tenant_id", "status", "id"),
        Index("ix_customers_tenant_email_id", "tenant_id", "email", "id"),
        Index("ix_customers_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_customers_tenant_sort_name", "tenant_id", text(SORT_NAME_SQL), "id"),
        trigram_index("ix_customers_search_trgm", "search_text"),
        Index("ix_customers_tenant_reseller", "tenant_id", "reseller_id", "id"),
    )
    __audit_exclude__ = frozenset({"search_text"})

    number: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16), default="residential")
    status: Mapped[str] = mapped_column(String(16), default="lead")
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    company_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    tax_id: Mapped[str] = mapped_column(String(64), default="")
    tax_exempt: Mapped[bool] = mapped_column(Boolean, default=False)
    tax_exempt_reason: Mapped[str] = mapped_column(String(200), default="")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    notes: Mapped[str] = mapped_column(Text, default="")
    # the reseller who brought the customer; its staff see only their customers
    reseller_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("resellers.id"), nullable=True)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # which emails the customer wants (chosen in the portal); all on until they say otherwise
    notify_invoices: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    notify_receipts: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    notify_outages: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Lowercased name, number, email, phone and addresses, for one indexed LIKE.
    search_text: Mapped[str] = mapped_column(Text, default="")

    addresses: Mapped[list[Address]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", lazy="selectin",
        order_by="Address.created_at")
    contacts: Mapped[list[Contact]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", lazy="selectin",
        order_by="Contact.created_at")

    @property
    def display_name(self) -> str:
        return display_name_of(self.kind, self.first_name, self.last_name, self.company_name,
                               self.email, self.number)


def display_name_of(kind: str, first_name: str, last_name: str, company_name: str, email: str,
                    number: str) -> str:
    """How a customer is addressed: the company for a business, else the person's name."""
    person = f"{first_name} {last_name}".strip()
    if kind == "business" and company_name:
        return company_name
    return person or company_name or email or number


class Address(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    __tablename__ = "customer_addresses"
    # the map reads the addresses in a box: a band of latitude, then longitude
    __table_args__ = (Index("ix_customer_addresses_tenant_latitude", "tenant_id", "latitude"),)

    customer_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="service")
    label: Mapped[str] = mapped_column(String(100), default="")
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    region: Mapped[str] = mapped_column(String(100), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6), nullable=True)
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6), nullable=True)

    customer: Mapped[Customer] = relationship(back_populates="addresses", lazy="raise")

    def one_line(self) -> str:
        parts = [self.line1, self.line2, self.city, self.region, self.postal_code, self.country]
        return ", ".join(p for p in parts if p)


class Contact(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    __tablename__ = "customer_contacts"

    customer_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="primary")
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")

    customer: Mapped[Customer] = relationship(back_populates="contacts", lazy="raise")


class PortalAccount(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """A customer's login to /portal, separate from staff logins."""

    __tablename__ = "portal_accounts"
    __table_args__ = (UniqueConstraint("tenant_id", "login"),)
    __audit_exclude__ = frozenset(
        {"password_hash", "failed_login_count", "last_login_at", "locked_until"})

    customer_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("customers.id", ondelete="CASCADE"), unique=True)
    login: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_login_count: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reset_token_hash: Mapped[str | None] = mapped_column(String(64), nullable=True,
                                                         unique=True)
    reset_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
