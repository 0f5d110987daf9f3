"""Billing enumerations."""

from __future__ import annotations

from enum import StrEnum


class BillingMode(StrEnum):
    PREPAID = "prepaid"  # bill the coming period
    POSTPAID = "postpaid"  # bill the period just ended


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    OVERDUE = "overdue"
    VOID = "void"


OPEN_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.OVERDUE)


class LineKind(StrEnum):
    SUBSCRIPTION = "subscription"
    PRORATION = "proration"
    SETUP_FEE = "setup_fee"
    ONE_OFF = "one_off"
    USAGE = "usage"
    LATE_FEE = "late_fee"
    RECONNECTION_FEE = "reconnection_fee"
    ADDON = "addon"
    OPENING_BALANCE = "opening_balance"


class PaymentMethod(StrEnum):
    CASH = "cash"
    CHEQUE = "cheque"
    BANK_TRANSFER = "bank_transfer"
    CARD = "card"
    # Paid on a gateway's page by another means than a card (SEPA debit, iDEAL, Link ...);
    # the gateway's own name for the means is kept in Payment.method_type.
    ONLINE = "online"
    DIRECT_DEBIT = "direct_debit"


class NumberReset(StrEnum):
    YEARLY = "yearly"
    CONTINUOUS = "continuous"


class DocumentKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    PAYMENT = "payment"
    RECEIPT = "receipt"
    REFUND = "refund"


class LateFeeKind(StrEnum):
    NONE = "none"
    FIXED = "fixed"
    PERCENT = "percent"


class RunStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class BankLineStatus(StrEnum):
    MATCHED = "matched"  # a payment was recorded for it
    UNMATCHED = "unmatched"  # waiting for someone to name the customer
    IGNORED = "ignored"  # money out, or set aside by hand
