"""Plan catalogue and subscription tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    event,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm.attributes import flag_modified

from dotmac_isp.shared.db import Audited, Base, TenantOwned, Timestamps, UUIDPrimaryKey
from dotmac_isp.shared.money import MoneyColumn
from dotmac_isp.shared.trigram import trigram_index
from dotmac_isp.shared.types import JSONType, UTCDateTime, utcnow


class Plan(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    __tablename__ = "plans"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16), default="internet")
    download_kbps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    upload_kbps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    burst_download_kbps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    burst_upload_kbps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    burst_threshold_download_kbps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    burst_threshold_upload_kbps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    burst_time_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    data_cap_mb: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    fup_download_kbps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    fup_upload_kbps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    price: Mapped[Decimal] = mapped_column(MoneyColumn)
    currency: Mapped[str] = mapped_column(String(3))
    billing_cycle: Mapped[str] = mapped_column(String(16), default="monthly")
    setup_fee: Mapped[Decimal] = mapped_column(MoneyColumn, default=Decimal("0"))
    min_contract_months: Mapped[int] = mapped_column(Integer, default=0)
    session_timeout_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    interim_interval_seconds: Mapped[int] = mapped_column(Integer, default=300)
    ipv4_pool_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    ipv6_pd_pool_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    radius_attributes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # RADIUS accepts a subscriber only from the MAC of the CPE installed at the subscription
    require_cpe_mac: Mapped[bool] = mapped_column(Boolean, default=False,
                                                  server_default=false())
    is_archived: Mapped[bool] = mapped_column(Boolean, default=False)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PlanAddon(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """An extra sold on top of a plan (static IP, extra TV pack, router rental...)."""

    __tablename__ = "plan_addons"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[Decimal] = mapped_column(MoneyColumn)
    currency: Mapped[str] = mapped_column(String(3))
    recurring: Mapped[bool] = mapped_column(Boolean, default=True)
    plan_kinds: Mapped[list[str]] = mapped_column(JSONType, default=list)
    is_archived: Mapped[bool] = mapped_column(Boolean, default=False)


class Subscription(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """One service instance: a customer's plan at an address, with RADIUS credentials."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "radius_username"),
        # the list's sorts, each read by key on (column, id); by plan: plan by plan
        Index("ix_subscriptions_tenant_status_id", "tenant_id", "status", "id"),
        Index("ix_subscriptions_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_subscriptions_tenant_since", "tenant_id", "status_changed_at", "id"),
        Index("ix_subscriptions_plan_id_id", "plan_id", "id"),
        Index("ix_subscriptions_tenant_activated", "tenant_id", "activated_at"),
        Index("ix_subscriptions_tenant_terminated", "tenant_id", "terminated_at"),
        trigram_index("ix_subscriptions_username_trgm", "radius_username"),
        Index("ix_subscriptions_bill_next", "tenant_id", "bill_next_on"),
    )
    __audit_exclude__ = frozenset({"radius_password_encrypted", "version", "billed_until",
                                   "bill_next_on"})

    customer_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("customers.id", ondelete="RESTRICT"), index=True)
    plan_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("plans.id", ondelete="RESTRICT"), index=True)
    service_address_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("customer_addresses.id", ondelete="SET NULL"), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    radius_username: Mapped[str] = mapped_column(String(64))
    radius_password_encrypted: Mapped[str] = mapped_column(String(255))
    notes: Mapped[str] = mapped_column(Text, default="")
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    suspend_reason: Mapped[str] = mapped_column(String(500), default="")
    terminated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    contract_end_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    # Set for subscriptions moved in from another system: no period before this day is
    # billed here (the old system billed it).
    billing_start_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    # The billing run's watermark: every period starting before billed_until is billed, and
    # nothing is due before bill_next_on. Empty means "walk from the start" (any change to
    # the subscription empties them).
    billed_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    bill_next_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    plan: Mapped[Plan] = relationship(lazy="joined", innerjoin=True)

    __mapper_args__ = {"version_id_col": version}


@event.listens_for(Subscription, "before_update")
def _billing_recheck(_mapper: Any, _connection: Any, target: Subscription) -> None:
    """A change to a subscription (status, plan, dates) makes the next billing run walk its
    periods from the start again."""
    # written even when the loaded value is empty: the run sets them without the ORM
    target.billed_until = None
    target.bill_next_on = None
    flag_modified(target, "billed_until")
    flag_modified(target, "bill_next_on")


class SubscriptionAddon(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    __tablename__ = "subscription_addons"

    subscription_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("subscriptions.id", ondelete="CASCADE"), index=True)
    addon_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("plan_addons.id", ondelete="RESTRICT"))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    unit_price: Mapped[Decimal] = mapped_column(MoneyColumn)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SubscriptionStatusChange(UUIDPrimaryKey, TenantOwned, Base):
    """One row per lifecycle transition: from, to, why, who, when it took effect."""

    __tablename__ = "subscription_status_changes"
    __table_args__ = (Index("ix_sub_status_changes_sub", "subscription_id", "effective_at"),)

    subscription_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("subscriptions.id", ondelete="CASCADE"))
    from_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(500), default="")
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    actor_label: Mapped[str] = mapped_column(String(254), default="")
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime)
    notify: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SubscriptionPlanChange(UUIDPrimaryKey, TenantOwned, Base):
    """One row per plan change, for billing's proration and the customer's history."""

    __tablename__ = "subscription_plan_changes"

    subscription_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("subscriptions.id", ondelete="CASCADE"), index=True)
    old_plan_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("plans.id"))
    new_plan_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("plans.id"))
    reason: Mapped[str] = mapped_column(String(500), default="")
    actor_label: Mapped[str] = mapped_column(String(254), default="")
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ScheduledChange(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """A future-dated transition or plan change, applied by the services.apply_scheduled job."""

    __tablename__ = "subscription_scheduled_changes"
    __table_args__ = (Index("ix_scheduled_changes_due", "state", "effective_at"),)

    subscription_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("subscriptions.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    target_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    new_plan_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("plans.id"), nullable=True)
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(500), default="")
    notify: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str] = mapped_column(String(500), default="")
    requested_by: Mapped[str] = mapped_column(String(254), default="")
