"""Billing queries through the tenant-scoping chokepoint."""

from __future__ import annotations

from dotmac_isp.modules.billing.models import (
    BillingAccount,
    BillingRun,
    CreditNote,
    Invoice,
    Payment,
    Receipt,
    Refund,
    TaxRate,
)
from dotmac_isp.shared.tenancy import TenantRepository


class TaxRateRepository(TenantRepository[TaxRate]):
    model = TaxRate
    not_found_message = "tax rate not found"


class AccountRepository(TenantRepository[BillingAccount]):
    model = BillingAccount


class InvoiceRepository(TenantRepository[Invoice]):
    model = Invoice
    not_found_message = "invoice not found"


class CreditNoteRepository(TenantRepository[CreditNote]):
    model = CreditNote
    not_found_message = "credit note not found"


class PaymentRepository(TenantRepository[Payment]):
    model = Payment
    not_found_message = "payment not found"


class RefundRepository(TenantRepository[Refund]):
    model = Refund
    not_found_message = "refund not found"


class ReceiptRepository(TenantRepository[Receipt]):
    model = Receipt
    not_found_message = "receipt not found"


class RunRepository(TenantRepository[BillingRun]):
    model = BillingRun
    not_found_message = "billing run not found"
