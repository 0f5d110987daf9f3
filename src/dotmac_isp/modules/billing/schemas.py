"""Billing API bodies. Amounts travel as strings so no client rounds them through a float."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from dotmac_isp.modules.billing.enums import (
    BillingMode,
    LateFeeKind,
    LineKind,
    NumberReset,
    PaymentMethod,
)
from dotmac_isp.shared.money import CurrencyCode, MoneyAmount, PlainAmount

Amount = Field(gt=0, max_digits=14, decimal_places=2)


class DunningConfig(BaseModel):
    """The dunning stages. In a PATCH only the fields given change; the stored whole is then
    checked (the final notice must come before the suspension it warns of)."""

    reminder_days: list[int] = Field(default_factory=lambda: [3], max_length=10)
    final_notice_days: int | None = Field(10, ge=0, le=365)
    suspend_after_days: int | None = Field(
        14, ge=0, le=365, description="days overdue before suspension; null: never suspend "
                                      "(and no suspension warning is sent)")
    late_fee_kind: LateFeeKind = LateFeeKind.NONE
    late_fee_amount: Decimal = Field(Decimal("0"), ge=0, max_digits=10, decimal_places=2)
    late_fee_after_days: int = Field(7, ge=0, le=365)
    reconnection_fee: Decimal = Field(Decimal("0"), ge=0, max_digits=10, decimal_places=2)
    no_suspend_weekdays: list[int] = Field(default_factory=lambda: [5, 6], max_length=7)
    holidays: list[date] = Field(default_factory=list, max_length=366)

    @field_validator("no_suspend_weekdays")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        if any(not 0 <= d <= 6 for d in value):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
        return sorted(set(value))

    @field_validator("reminder_days")
    @classmethod
    def _reminders(cls, value: list[int]) -> list[int]:
        if any(not 0 <= d <= 365 for d in value):
            raise ValueError("reminder days are 0 to 365")
        return sorted(set(value))

    def stored(self) -> dict[str, Any]:
        """The fields the request named, as stored (JSON types)."""
        return self.model_dump(mode="json", exclude_unset=True)


TaxCategoryCode = Literal["S", "Z", "E", "AE", "K", "G", "O", "L", "M"]


class SettingsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    mode: str
    billing_day: int | None
    payment_terms_days: int
    review_days: int
    min_invoice_amount: MoneyAmount
    bill_suspended: bool
    prices_include_tax: bool
    default_tax_rate_ids: list[str]
    number_reset: str
    invoice_template: str
    credit_note_template: str
    payment_template: str
    receipt_template: str
    refund_template: str
    dunning: dict[str, Any]
    payment_confirm_above: MoneyAmount | None = None
    company_legal_id: str = ""
    company_street: str = ""
    company_city: str = ""
    company_postcode: str = ""
    company_country: str = ""
    untaxed_category: str = "E"
    untaxed_exemption_reason: str = ""


class SettingsUpdate(BaseModel):
    mode: BillingMode | None = None
    billing_day: int | None = Field(None, ge=1, le=28, description="null: anniversary billing")
    payment_terms_days: int | None = Field(None, ge=0, le=365)
    review_days: int | None = Field(None, ge=0, le=60)
    min_invoice_amount: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2)
    bill_suspended: bool | None = None
    prices_include_tax: bool | None = None
    default_tax_rate_ids: list[uuid.UUID] | None = Field(None, max_length=10)
    number_reset: NumberReset | None = None
    invoice_template: str | None = Field(None, min_length=1, max_length=64)
    credit_note_template: str | None = Field(None, min_length=1, max_length=64)
    payment_template: str | None = Field(None, min_length=1, max_length=64)
    receipt_template: str | None = Field(None, min_length=1, max_length=64)
    refund_template: str | None = Field(None, min_length=1, max_length=64)
    dunning: DunningConfig | None = None
    payment_confirm_above: PlainAmount | None = Field(
        None, gt=0, max_digits=14, decimal_places=2,
        description="a payment above this is confirmed on the staff pages before it is "
                    "recorded")
    # the seller on e-invoices (EN 16931): legal registration id and address in parts
    company_legal_id: str | None = Field(None, max_length=64)
    company_street: str | None = Field(None, max_length=200)
    company_city: str | None = Field(None, max_length=100)
    company_postcode: str | None = Field(None, max_length=20)
    company_country: str | None = Field(None, pattern="^[A-Z]{2}$",
                                        description="ISO 3166-1 alpha-2, e.g. NG")
    untaxed_category: TaxCategoryCode | None = Field(
        None, description="the tax category of lines that carry no tax")
    untaxed_exemption_reason: str | None = Field(None, max_length=300)


class TaxRateIn(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    rate: Decimal = Field(ge=0, le=100, max_digits=7, decimal_places=4)
    compound: bool = False
    position: int = Field(0, ge=0, le=100)
    category_code: TaxCategoryCode = Field(
        "S", description="EN 16931 tax category on e-invoices: S standard, Z zero, "
                          "E exempt, AE reverse charge, K, G, O, L, M")
    exemption_reason: str = Field("", max_length=300)


class TaxRateUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=64)
    rate: Decimal | None = Field(None, ge=0, le=100, max_digits=7, decimal_places=4)
    compound: bool | None = None
    position: int | None = Field(None, ge=0, le=100)
    is_active: bool | None = None
    category_code: TaxCategoryCode | None = Field(
        None, description="EN 16931 tax category on e-invoices: S standard, Z zero, "
                          "E exempt, AE reverse charge, K, G, O, L, M")
    exemption_reason: str | None = Field(None, max_length=300)


class TaxRateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    rate: Decimal
    compound: bool
    position: int
    is_active: bool
    category_code: str
    exemption_reason: str


class LineIn(BaseModel):
    kind: LineKind = LineKind.ONE_OFF
    description: str = Field(min_length=1, max_length=300)
    unit_price: Decimal = Field(ge=-1_000_000, le=1_000_000, max_digits=14, decimal_places=2)
    quantity: Decimal = Field(Decimal("1"), gt=0, le=100_000, max_digits=12, decimal_places=4)


class InvoiceCreate(BaseModel):
    customer_id: uuid.UUID
    lines: list[LineIn] = Field(min_length=1, max_length=200)
    issue: bool = Field(True, description="issue at once; false keeps a draft")


class LineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    kind: str
    description: str
    subscription_id: uuid.UUID | None
    period_start: date | None
    period_end: date | None
    quantity: Decimal
    unit_price: MoneyAmount
    net_amount: MoneyAmount
    tax_amount: MoneyAmount
    gross_amount: MoneyAmount
    taxes: list[dict[str, Any]]


class InvoiceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    customer_id: uuid.UUID
    number: str | None
    status: str
    currency: str
    issue_date: date | None
    due_date: date | None
    subtotal: MoneyAmount
    tax_total: MoneyAmount
    total: MoneyAmount
    amount_paid: MoneyAmount
    amount_credited: MoneyAmount
    balance_due: MoneyAmount
    tax_summary: list[dict[str, Any]]
    created_at: datetime


class InvoiceDetail(InvoiceOut):
    lines: list[LineOut]


class CreditNoteIn(BaseModel):
    amount: Decimal | None = Field(None, gt=0, max_digits=14, decimal_places=2,
                                   description="omit to credit everything left")
    reason: str = Field(min_length=1, max_length=500)


class CreditNoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    number: str
    invoice_id: uuid.UUID
    customer_id: uuid.UUID
    currency: str
    issue_date: date
    reason: str
    net_amount: MoneyAmount
    tax_amount: MoneyAmount
    total: MoneyAmount


class PaymentIn(BaseModel):
    customer_id: uuid.UUID
    method: PaymentMethod
    amount: PlainAmount = Amount
    currency: CurrencyCode
    received_on: date | None = None
    reference: str = Field("", max_length=100)
    gateway: str = Field("manual", max_length=32)
    card_brand: str = Field("", max_length=20)
    card_last4: str = Field("", max_length=4)
    notes: str = Field("", max_length=2000)
    idempotency_key: str | None = Field(None, min_length=1, max_length=100)
    invoice_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=50,
        description="open invoices of the customer this payment settles first; empty: the "
                    "oldest open invoices")


class PaymentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    number: str
    customer_id: uuid.UUID
    method: str
    amount: MoneyAmount
    currency: str
    received_on: date
    reference: str
    gateway: str
    gateway_reference: str
    card_brand: str
    card_last4: str
    method_type: str = ""
    amount_allocated: MoneyAmount
    amount_refunded: MoneyAmount
    unallocated: MoneyAmount
    receipt_number: str | None = None
    created_at: datetime
    voided_at: datetime | None = None
    void_reason: str | None = None


class VoidIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class RefundIn(BaseModel):
    amount: PlainAmount = Amount
    reason: str = Field(min_length=1, max_length=500)


class RefundOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    number: str
    payment_id: uuid.UUID
    amount: MoneyAmount
    currency: str
    refunded_on: date
    reason: str


class EntryOut(BaseModel):
    on: date
    kind: str
    number: str
    description: str
    debit: MoneyAmount
    credit: MoneyAmount
    balance: MoneyAmount
    document_id: uuid.UUID


class StatementOut(BaseModel):
    customer_id: uuid.UUID
    currency: str
    balance: MoneyAmount
    entries: list[EntryOut]


class AccountIn(BaseModel):
    billing_day: int | None = Field(None, ge=1, le=28)
    anniversary: bool = False
    dunning_exempt: bool = False
    email: str = Field("", max_length=254)
    einvoice_email: bool = Field(False, description="the issued-invoice email carries the "
                                                    "Factur-X PDF")
    einvoice_ubl: bool = Field(False, description="... and the UBL XML")
    reverse_charge: bool = Field(False, description="untaxed lines are reverse charge (AE)")


class AccountOut(AccountIn):
    model_config = ConfigDict(from_attributes=True)
    customer_id: uuid.UUID


class RunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    run_date: date
    status: str
    subscriptions_seen: int
    periods_billed: int
    invoices_created: int
    invoices_issued: int
    errors: list[dict[str, Any]]
    created_at: datetime
    finished_at: datetime | None
