"""Billing tables. Amounts are Numeric (Decimal), never float."""

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
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dotmac_isp.shared.db import Audited, Base, TenantOwned, Timestamps, UUIDPrimaryKey
from dotmac_isp.shared.money import MoneyColumn
from dotmac_isp.shared.types import JSONType, UTCDateTime, utcnow

ZERO = Decimal("0")


class BillingSettings(Timestamps, Audited, Base):
    """One row per tenant: how and when it bills, numbers documents and chases debt."""

    __tablename__ = "billing_settings"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    mode: Mapped[str] = mapped_column(String(16), default="prepaid")
    billing_day: Mapped[int | None] = mapped_column(Integer, nullable=True, default=1)
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=14)
    review_days: Mapped[int] = mapped_column(Integer, default=0)
    min_invoice_amount: Mapped[Decimal] = mapped_column(MoneyColumn, default=ZERO)
    bill_suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    prices_include_tax: Mapped[bool] = mapped_column(Boolean, default=False)
    default_tax_rate_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    number_reset: Mapped[str] = mapped_column(String(16), default="yearly")
    invoice_template: Mapped[str] = mapped_column(String(64), default="INV-{year}-{seq:05d}")
    credit_note_template: Mapped[str] = mapped_column(String(64), default="CN-{year}-{seq:05d}")
    payment_template: Mapped[str] = mapped_column(String(64), default="PAY-{year}-{seq:05d}")
    receipt_template: Mapped[str] = mapped_column(String(64), default="RCT-{year}-{seq:05d}")
    refund_template: Mapped[str] = mapped_column(String(64), default="RF-{year}-{seq:05d}")
    dunning: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # A payment above this asks the operator to confirm amount and customer; None: never.
    payment_confirm_above: Mapped[Decimal | None] = mapped_column(
        MoneyColumn, nullable=True, default=Decimal("10000.00"))
    # The issuer block of invoices and receipts (the company name is the tenant's name).
    company_address: Mapped[str] = mapped_column(Text, default="")
    company_tax_id: Mapped[str] = mapped_column(String(64), default="")
    company_email: Mapped[str] = mapped_column(String(254), default="")
    company_phone: Mapped[str] = mapped_column(String(40), default="")
    logo_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # What e-invoices (EN 16931) need beyond the printed block: legal registration id and
    # the address in parts; lines without a tax get the untaxed category (E needs a reason).
    company_legal_id: Mapped[str] = mapped_column(String(64), default="")
    company_street: Mapped[str] = mapped_column(String(200), default="")
    company_city: Mapped[str] = mapped_column(String(100), default="")
    company_postcode: Mapped[str] = mapped_column(String(20), default="")
    company_country: Mapped[str] = mapped_column(String(2), default="")
    # Days after an invoice's due date autopay tries to charge it ([0, 3, 7]); None: the
    # installation's DOTMAC_PAYMENTS__AUTOPAY_RETRY_DAYS.
    autopay_retry_days: Mapped[list[int] | None] = mapped_column(JSONType, nullable=True)
    untaxed_category: Mapped[str] = mapped_column(String(2), default="E")
    untaxed_exemption_reason: Mapped[str] = mapped_column(String(300),
                                                          default="Not subject to tax")

    @property
    def id(self) -> uuid.UUID:  # audit entries name the row by its key
        return self.tenant_id


class TaxRate(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    __tablename__ = "tax_rates"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(64))
    rate: Mapped[Decimal] = mapped_column(Numeric(7, 4))  # percent, e.g. 7.5000
    compound: Mapped[bool] = mapped_column(Boolean, default=False)  # applies on net + earlier
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # EN 16931 tax category (S standard, Z zero, E exempt, AE reverse charge, ...)
    category_code: Mapped[str] = mapped_column(String(2), default="S")
    exemption_reason: Mapped[str] = mapped_column(String(300), default="")


class BillingAccount(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """Per-customer billing preferences (created on first need)."""

    __tablename__ = "billing_accounts"

    customer_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("customers.id", ondelete="CASCADE"), unique=True)
    billing_day: Mapped[int | None] = mapped_column(Integer, nullable=True)
    anniversary: Mapped[bool] = mapped_column(Boolean, default=False)
    dunning_exempt: Mapped[bool] = mapped_column(Boolean, default=False)
    email: Mapped[str] = mapped_column(String(254), default="")
    # The issued-invoice email carries the Factur-X PDF (and the UBL XML when chosen).
    einvoice_email: Mapped[bool] = mapped_column(Boolean, default=False)
    einvoice_ubl: Mapped[bool] = mapped_column(Boolean, default=False)
    # Untaxed lines are reverse charge (AE) for this customer (a business abroad).
    reverse_charge: Mapped[bool] = mapped_column(Boolean, default=False)


class Invoice(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        Index("ix_invoices_customer", "tenant_id", "customer_id", "status"),
        Index("ix_invoices_due", "tenant_id", "status", "due_date", "id"),
        # the invoice list: newest first, all or by status (overdue, issued...)
        Index("ix_invoices_tenant_created", "tenant_id", "created_at"),
        Index("ix_invoices_tenant_status_created", "tenant_id", "status", "created_at"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("customers.id", ondelete="RESTRICT"))
    number: Mapped[str | None] = mapped_column(String(40), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    currency: Mapped[str] = mapped_column(String(3))
    issue_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    hold_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    subtotal: Mapped[Decimal] = mapped_column(MoneyColumn, default=ZERO)
    tax_total: Mapped[Decimal] = mapped_column(MoneyColumn, default=ZERO)
    total: Mapped[Decimal] = mapped_column(MoneyColumn, default=ZERO)
    amount_paid: Mapped[Decimal] = mapped_column(MoneyColumn, default=ZERO)
    amount_credited: Mapped[Decimal] = mapped_column(MoneyColumn, default=ZERO)
    tax_summary: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    billing_run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    dunning_stage: Mapped[int] = mapped_column(Integer, default=0)

    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", lazy="selectin",
        order_by="InvoiceLine.position")

    @property
    def balance_due(self) -> Decimal:
        return self.total - self.amount_paid - self.amount_credited


class InvoiceLine(UUIDPrimaryKey, TenantOwned, Base):
    __tablename__ = "invoice_lines"

    invoice_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(24))
    description: Mapped[str] = mapped_column(String(300))
    subscription_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True, index=True)
    period_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    period_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 4), default=Decimal("1"))
    unit_price: Mapped[Decimal] = mapped_column(MoneyColumn)
    tax_inclusive: Mapped[bool] = mapped_column(Boolean, default=False)
    net_amount: Mapped[Decimal] = mapped_column(MoneyColumn)
    tax_amount: Mapped[Decimal] = mapped_column(MoneyColumn, default=ZERO)
    gross_amount: Mapped[Decimal] = mapped_column(MoneyColumn)
    taxes: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)

    invoice: Mapped[Invoice] = relationship(back_populates="lines", lazy="raise")


class BilledPeriod(UUIDPrimaryKey, TenantOwned, Base):
    """A subscription-period is billed once: the unique key is the guarantee."""

    __tablename__ = "billed_periods"
    __table_args__ = (UniqueConstraint("subscription_id", "period_start"),)

    subscription_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    plan_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    full_price: Mapped[Decimal] = mapped_column(MoneyColumn)  # the whole period's price
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("invoices.id", ondelete="SET NULL"), nullable=True)
    billing_run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CreditNote(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    __tablename__ = "credit_notes"
    __table_args__ = (UniqueConstraint("tenant_id", "number"),)

    customer_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("customers.id", ondelete="RESTRICT"), index=True)
    invoice_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("invoices.id", ondelete="RESTRICT"), index=True)
    number: Mapped[str] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(3))
    issue_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(500))
    net_amount: Mapped[Decimal] = mapped_column(MoneyColumn)
    tax_amount: Mapped[Decimal] = mapped_column(MoneyColumn)
    total: Mapped[Decimal] = mapped_column(MoneyColumn)


class Payment(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        UniqueConstraint("tenant_id", "idempotency_key"),
    )
    __audit_exclude__ = frozenset({"gateway_response"})

    customer_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("customers.id", ondelete="RESTRICT"), index=True)
    number: Mapped[str] = mapped_column(String(40))
    method: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(MoneyColumn)
    currency: Mapped[str] = mapped_column(String(3))
    received_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(100), default="")
    idempotency_key: Mapped[str | None] = mapped_column(String(100), nullable=True)
    gateway: Mapped[str] = mapped_column(String(32), default="")
    gateway_reference: Mapped[str] = mapped_column(String(100), default="")
    card_brand: Mapped[str] = mapped_column(String(20), default="")
    # the card's last four digits, or the bank account's for a non-card online payment
    card_last4: Mapped[str] = mapped_column(String(4), default="")
    # the gateway's name for how it was paid (card, sepa_debit, ideal, link ...); "" by hand
    method_type: Mapped[str] = mapped_column(String(32), default="", server_default=text("''"))
    gateway_response: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    amount_allocated: Mapped[Decimal] = mapped_column(MoneyColumn, default=ZERO)
    amount_refunded: Mapped[Decimal] = mapped_column(MoneyColumn, default=ZERO)
    notes: Mapped[str] = mapped_column(Text, default="")
    # A payment recorded by mistake is voided, never deleted: it stays in the ledger.
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    void_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)

    @property
    def method_label(self) -> str:
        """How it was paid, as people read it: "card (visa ending 4242)", "online (sepa
        debit ending 3000)"."""
        label = self.method.replace("_", " ")
        detail = (self.card_brand or ("card" if self.method == "card" else "")
                  or self.method_type.replace("_", " "))
        if self.card_last4:
            detail = f"{detail or 'account'} ending {self.card_last4}"
        return f"{label} ({detail})" if detail else label

    @property
    def unallocated(self) -> Decimal:
        if self.voided_at is not None:
            return ZERO
        return self.amount - self.amount_allocated - self.amount_refunded


class PaymentAllocation(UUIDPrimaryKey, TenantOwned, Base):
    __tablename__ = "payment_allocations"

    payment_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("payments.id", ondelete="CASCADE"), index=True)
    invoice_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    amount: Mapped[Decimal] = mapped_column(MoneyColumn)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Refund(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    __tablename__ = "refunds"
    __table_args__ = (UniqueConstraint("tenant_id", "number"),)

    payment_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("payments.id", ondelete="RESTRICT"), index=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("customers.id"), index=True)
    number: Mapped[str] = mapped_column(String(40))
    amount: Mapped[Decimal] = mapped_column(MoneyColumn)
    currency: Mapped[str] = mapped_column(String(3))
    refunded_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(500))


class Receipt(UUIDPrimaryKey, TenantOwned, Base):
    """The numbered receipt every payment gets (its PDF is rendered from these fields)."""

    __tablename__ = "receipts"
    __table_args__ = (UniqueConstraint("tenant_id", "number"),)

    payment_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("payments.id", ondelete="CASCADE"), unique=True)
    number: Mapped[str] = mapped_column(String(40))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BillingRun(UUIDPrimaryKey, Timestamps, TenantOwned, Base):
    """One execution of the recurring run, with counts and errors for the admin pages."""

    __tablename__ = "billing_runs"

    run_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="running")
    subscriptions_seen: Mapped[int] = mapped_column(Integer, default=0)
    periods_billed: Mapped[int] = mapped_column(Integer, default=0)
    invoices_created: Mapped[int] = mapped_column(Integer, default=0)
    invoices_issued: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DunningAction(UUIDPrimaryKey, TenantOwned, Base):
    """What dunning did to an invoice; unique per stage, so a stage acts once."""

    __tablename__ = "dunning_actions"
    __table_args__ = (UniqueConstraint("invoice_id", "stage"),)

    invoice_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("invoices.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OpeningBalance(UUIDPrimaryKey, TenantOwned, Audited, Base):
    """What a customer owed (or had in credit) when moved in from another system: an issued
    invoice for a debt, an unallocated payment for a credit. One per customer, and the
    reference makes a repeated import store nothing."""

    __tablename__ = "opening_balances"
    __table_args__ = (UniqueConstraint("tenant_id", "reference"),
                      UniqueConstraint("tenant_id", "customer_id"))

    customer_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("customers.id", ondelete="RESTRICT"))
    reference: Mapped[str] = mapped_column(String(100))
    amount: Mapped[Decimal] = mapped_column(MoneyColumn)  # positive: owed; negative: credit
    currency: Mapped[str] = mapped_column(String(3))
    as_of_date: Mapped[date] = mapped_column(Date)
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("invoices.id", ondelete="RESTRICT"), nullable=True)
    payment_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("payments.id", ondelete="RESTRICT"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
