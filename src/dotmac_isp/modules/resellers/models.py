"""Reseller tables: the reseller and its brand, commission rules, monthly statements."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dotmac_isp.shared.db import Audited, Base, TenantOwned, Timestamps, UUIDPrimaryKey
from dotmac_isp.shared.money import MoneyColumn
from dotmac_isp.shared.types import UTCDateTime

ZERO = Decimal("0")


class Reseller(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """An organisation inside a tenant that brings customers; its staff see only those."""

    __tablename__ = "resellers"
    __table_args__ = (UniqueConstraint("tenant_id", "slug"), UniqueConstraint("tenant_id", "name"))
    __audit_exclude__ = frozenset({"logo"})

    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(63))
    status: Mapped[str] = mapped_column(String(16), default="active")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # the brand its customers see in the portal
    display_name: Mapped[str] = mapped_column(String(200), default="")
    primary_colour: Mapped[str] = mapped_column(String(7), default="#1f4e79")
    accent_colour: Mapped[str] = mapped_column(String(7), default="#f0a500")
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)
    logo_type: Mapped[str | None] = mapped_column(String(16), nullable=True)

    @property
    def brand_name(self) -> str:
        return self.display_name or self.name


class CommissionRule(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """What a reseller earns on one plan (plan_id None: every plan without a rule of its own):
    a percent of what its customers pay net of tax, and/or a fixed amount per activation."""

    __tablename__ = "commission_rules"
    __table_args__ = (UniqueConstraint("reseller_id", "plan_id"),)

    reseller_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("resellers.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("plans.id", ondelete="CASCADE"), nullable=True)
    percent: Mapped[Decimal] = mapped_column(Numeric(7, 4), default=ZERO)
    activation_amount: Mapped[Decimal] = mapped_column(MoneyColumn, default=ZERO)


class CommissionStatement(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """One reseller's commission for one calendar month in one currency."""

    __tablename__ = "commission_statements"
    __table_args__ = (
        UniqueConstraint("reseller_id", "period_start", "currency"),
        Index("ix_commission_statements_tenant_period", "tenant_id", "period_start"),
    )

    reseller_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("resellers.id", ondelete="RESTRICT"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # the last day of the month
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    total: Mapped[Decimal] = mapped_column(MoneyColumn, default=ZERO)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    approved_by: Mapped[str] = mapped_column(String(254), default="")

    lines: Mapped[list[StatementLine]] = relationship(
        back_populates="statement", cascade="all, delete-orphan", lazy="raise",
        order_by="StatementLine.position")


class StatementLine(UUIDPrimaryKey, TenantOwned, Base):
    """One commission line: a payment's share of an invoice line's plan, a refund's reversal
    of it, an activation, or (negative) a voucher batch the reseller bought. `key` names its
    source, so a recomputation finds it again."""

    __tablename__ = "commission_statement_lines"
    __table_args__ = (
        UniqueConstraint("statement_id", "key"),
        # which statement already carries a voucher batch's purchase (statements.py)
        Index("ix_commission_statement_lines_tenant_source", "tenant_id", "source_id"),
    )

    statement_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("commission_statements.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(16))
    occurred_on: Mapped[date] = mapped_column(Date)
    # plain ids: a statement outlives them; no customer on a voucher batch purchase
    customer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    source_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    plan_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    description: Mapped[str] = mapped_column(String(300))
    base_amount: Mapped[Decimal] = mapped_column(MoneyColumn)  # net of tax; 0 for activations
    percent: Mapped[Decimal] = mapped_column(Numeric(7, 4), default=ZERO)
    amount: Mapped[Decimal] = mapped_column(MoneyColumn)

    statement: Mapped[CommissionStatement] = relationship(back_populates="lines",
                                                          lazy="raise")
