"""Hotspot tables: voucher plans, batches, vouchers, each voucher's accounting sessions and
the captive-portal sites."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from dotmac_isp.shared.db import Audited, Base, TenantOwned, Timestamps, UUIDPrimaryKey
from dotmac_isp.shared.money import MoneyColumn
from dotmac_isp.shared.types import UTCDateTime, utcnow


class VoucherPlan(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """What a voucher buys: time and/or data, how long after the first login it lasts, the
    speed and how many devices may use it at once."""

    __tablename__ = "hotspot_plans"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[Decimal] = mapped_column(MoneyColumn)
    # what a reseller pays a voucher of a batch sold to them (same currency; None: not sold
    # wholesale)
    wholesale_price: Mapped[Decimal | None] = mapped_column(MoneyColumn, nullable=True)
    currency: Mapped[str] = mapped_column(String(3))
    time_allowance_seconds: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    data_allowance_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    validity_seconds: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    download_kbps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    upload_kbps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    devices: Mapped[int] = mapped_column(Integer, default=1)
    mac_login: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class VoucherBatch(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """Vouchers generated together, printed as one sheet of cards; possibly sold as a whole to
    a reseller at the plan's wholesale price (the reseller's staff then see it)."""

    __tablename__ = "hotspot_batches"
    __table_args__ = (
        Index("ix_hotspot_batches_tenant_created", "tenant_id", "created_at"),
        Index("ix_hotspot_batches_tenant_reseller_sold", "tenant_id", "reseller_id", "sold_at"),
        # shared/row_scope.py: a reseller's staff see only the batches sold to their reseller
        # (and those batches' vouchers and sessions, by their foreign keys)
        {"info": {"row_scope": "reseller"}},
    )

    plan_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("hotspot_plans.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    count: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(254), default="")
    # the wholesale sale: all set together, once (no ON DELETE: a reseller who bought
    # vouchers is not deleted)
    reseller_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("resellers.id"), nullable=True)
    unit_price: Mapped[Decimal | None] = mapped_column(MoneyColumn, nullable=True)
    quantity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    total: Mapped[Decimal | None] = mapped_column(MoneyColumn, nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    sold_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sold_by: Mapped[str | None] = mapped_column(String(254), nullable=True)


class Voucher(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """One code: its User-Name and password at the hotspot, and what is left of its plan."""

    __tablename__ = "hotspot_vouchers"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        Index("ix_hotspot_vouchers_tenant_mac", "tenant_id", "mac"),
        Index("ix_hotspot_vouchers_tenant_state_created", "tenant_id", "state", "created_at"),
        Index("ix_hotspot_vouchers_tenant_created", "tenant_id", "created_at"),
        Index("ix_hotspot_vouchers_finished", "finished_at"),
    )
    # The code is a credential: it stays out of the audit trail.
    __audit_exclude__ = frozenset({"code"})

    batch_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("hotspot_batches.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("hotspot_plans.id", ondelete="RESTRICT"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default="unused")
    mac: Mapped[str | None] = mapped_column(String(17), nullable=True)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    used_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    used_octets: Mapped[int] = mapped_column(BigInteger, default=0)
    sold_to: Mapped[str] = mapped_column(String(200), default="")
    sold_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_reason: Mapped[str] = mapped_column(String(200), default="")


class VoucherSession(TenantOwned, Base):
    """What one accounting session has consumed of a voucher: its latest counters, so an
    Interim-Update sent again adds nothing."""

    __tablename__ = "hotspot_voucher_sessions"

    acctuniqueid: Mapped[str] = mapped_column(String(32), primary_key=True)
    voucher_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("hotspot_vouchers.id", ondelete="CASCADE"), index=True)
    username: Mapped[str] = mapped_column(String(253), default="")
    seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    octets: Mapped[int] = mapped_column(BigInteger, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class HotspotSite(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """A hotspot location: its captive portal's look and where the portal posts the code."""

    __tablename__ = "hotspot_sites"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    flow: Mapped[str] = mapped_column(String(16), default="mikrotik")
    login_url: Mapped[str] = mapped_column(String(500), default="")
    allowed_hosts: Mapped[str] = mapped_column(String(500), default="")
    title: Mapped[str] = mapped_column(String(100), default="")
    welcome: Mapped[str] = mapped_column(Text, default="")
    terms: Mapped[str] = mapped_column(Text, default="")
    primary_color: Mapped[str] = mapped_column(String(7), default="#0b5cad")
    background_color: Mapped[str] = mapped_column(String(7), default="#f4f6f9")
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


class VoucherPurchase(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """A voucher bought on the captive portal: the gateway's checkout session it is paid
    through, and the one voucher issued once the payment is in (sold to the email)."""

    __tablename__ = "hotspot_voucher_purchases"
    __table_args__ = (
        UniqueConstraint("gateway", "session_id"),
        # one purchase, one voucher: a webhook and the return page racing issue it once
        UniqueConstraint("voucher_id"),
        Index("ix_hotspot_voucher_purchases_tenant_created", "tenant_id", "created_at"),
    )

    plan_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("hotspot_plans.id", ondelete="RESTRICT"), index=True)
    site_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("hotspot_sites.id", ondelete="SET NULL"), nullable=True)
    email: Mapped[str] = mapped_column(String(254))
    amount: Mapped[Decimal] = mapped_column(MoneyColumn)
    currency: Mapped[str] = mapped_column(String(3))
    gateway: Mapped[str] = mapped_column(String(20))
    session_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    payment_reference: Mapped[str | None] = mapped_column(String(255), nullable=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    voucher_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("hotspot_vouchers.id", ondelete="SET NULL"), nullable=True)
