"""A tenant's gateway account, the checkouts customers start, the webhook events received
(each once) and the refunds sent back to the gateway."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from dotmac_isp.shared.db import Audited, Base, TenantOwned, Timestamps, UUIDPrimaryKey
from dotmac_isp.shared.money import MoneyColumn
from dotmac_isp.shared.types import JSONType, UTCDateTime, utcnow


class GatewayAccount(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """The tenant's keys for one gateway; the secret and the webhook secret are encrypted."""

    __tablename__ = "payment_gateway_accounts"
    __table_args__ = (UniqueConstraint("tenant_id", "gateway"),)
    __audit_exclude__ = frozenset({"secret_key_encrypted", "webhook_secret_encrypted"})

    gateway: Mapped[str] = mapped_column(String(32))
    mode: Mapped[str] = mapped_column(String(8), default="test")  # test | live
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    publishable_key: Mapped[str] = mapped_column(String(255), default="")
    secret_key_encrypted: Mapped[str] = mapped_column(String(1000), default="")
    webhook_secret_encrypted: Mapped[str] = mapped_column(String(1000), default="")
    secret_key_hint: Mapped[str] = mapped_column(String(16), default="")  # last characters


class GatewayCheckout(UUIDPrimaryKey, Timestamps, TenantOwned, Base):
    """A hosted payment a customer started for chosen invoices; settled into one payment."""

    __tablename__ = "payment_gateway_checkouts"
    __table_args__ = (UniqueConstraint("gateway", "session_id"),)

    gateway: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[str] = mapped_column(String(255), default="")
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), nullable=True,
                                                          index=True)
    amount: Mapped[Decimal] = mapped_column(MoneyColumn)
    currency: Mapped[str] = mapped_column(String(3))
    invoice_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | paid
    payment_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("payments.id", ondelete="SET NULL"), nullable=True)


class GatewayEvent(UUIDPrimaryKey, TenantOwned, Base):
    """A webhook event, stored once: a resent or duplicate event changes nothing."""

    __tablename__ = "payment_gateway_events"
    __table_args__ = (UniqueConstraint("gateway", "event_id"),)

    gateway: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(100))
    object_id: Mapped[str] = mapped_column(String(255), default="")
    outcome: Mapped[str] = mapped_column(String(300), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GatewayRefund(UUIDPrimaryKey, TenantOwned, Base):
    """A ledger refund as sent back to the card through the gateway."""

    __tablename__ = "payment_gateway_refunds"

    refund_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("refunds.id", ondelete="CASCADE"), unique=True)
    payment_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("payments.id", ondelete="CASCADE"), index=True)
    gateway: Mapped[str] = mapped_column(String(32))
    gateway_refund_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(32), default="")
    response: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SavedCard(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """A card the customer saved with the gateway (a SetupIntent), and their autopay choice:
    who agreed to automatic charges and when."""

    __tablename__ = "payment_gateway_cards"
    __table_args__ = (UniqueConstraint("tenant_id", "customer_id", "gateway"),)

    gateway: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    gateway_customer_id: Mapped[str] = mapped_column(String(255), default="")
    payment_method_id: Mapped[str] = mapped_column(String(255), default="")  # "": not saved
    card_brand: Mapped[str] = mapped_column(String(20), default="")
    card_last4: Mapped[str] = mapped_column(String(4), default="")
    card_exp_month: Mapped[int | None] = mapped_column(Integer, nullable=True)
    card_exp_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    setup_session_id: Mapped[str] = mapped_column(String(255), default="")
    autopay: Mapped[bool] = mapped_column(Boolean, default=False)
    autopay_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    autopay_consent_by: Mapped[str] = mapped_column(String(255), default="")
    autopay_consent_via: Mapped[str] = mapped_column(String(16), default="")  # portal | staff
    autopay_consent_text: Mapped[str] = mapped_column(Text, default="")  # what was agreed to


class AutopayCharge(UUIDPrimaryKey, Timestamps, TenantOwned, Base):
    """One off-session charge of a due invoice on one day: pending, succeeded or declined
    (with the gateway's reason); a direct debit is "collecting" until the gateway confirms
    or fails it. A day's charge of an invoice is attempted once."""

    __tablename__ = "payment_gateway_autopay_charges"
    __table_args__ = (UniqueConstraint("invoice_id", "attempted_on"),)

    invoice_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    attempted_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(MoneyColumn)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[str] = mapped_column(String(500), default="")
    # the gateway's payment id; a direct debit's webhooks find their attempt by it
    payment_intent_id: Mapped[str] = mapped_column(String(255), default="", index=True)
    payment_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("payments.id", ondelete="SET NULL"), nullable=True)


class Mandate(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """A direct debit mandate the customer set up on the gateway's page: the bank account it
    debits (bank name and the last digits only), its state at the gateway, who agreed, when
    and how, and whether autopay collects due invoices on it."""

    __tablename__ = "payment_gateway_mandates"
    __table_args__ = (UniqueConstraint("tenant_id", "customer_id", "gateway"),
                      UniqueConstraint("gateway", "setup_request_id"))

    gateway: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    setup_request_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    setup_url: Mapped[str] = mapped_column(String(1000), default="")
    mandate_id: Mapped[str] = mapped_column(String(255), default="", index=True)  # "": none
    gateway_customer_id: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(40), default="setting_up")
    status_reason: Mapped[str] = mapped_column(String(500), default="")
    bank_name: Mapped[str] = mapped_column(String(100), default="")
    account_ending: Mapped[str] = mapped_column(String(4), default="")
    account_holder: Mapped[str] = mapped_column(String(200), default="")
    scheme: Mapped[str] = mapped_column(String(40), default="")
    autopay: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    consent_by: Mapped[str] = mapped_column(String(255), default="")
    consent_method: Mapped[str] = mapped_column(String(255), default="")
