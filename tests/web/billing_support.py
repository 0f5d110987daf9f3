"""Invoices, payments and PDF text for the billing page tests."""

from __future__ import annotations

import html as html_lib
import re
import shutil
import subprocess
import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing import invoices, payments, setup
from dotmac_isp.modules.billing.enums import LineKind, PaymentMethod
from dotmac_isp.modules.billing.gateways import accounts
from dotmac_isp.modules.billing.invoices import LineInput
from dotmac_isp.modules.billing.models import Invoice, Payment
from dotmac_isp.modules.identity.models import Tenant
from tests.modules.billing.helpers import configure


def with_vat(session: Session, tenant: Tenant) -> None:
    """Billing configured with one 7.5% VAT on every line."""
    configure(session, tenant)
    vat = setup.create_tax_rate(session, tenant.id, "VAT", Decimal("7.5"))
    setup.update_settings(session, tenant.id, {"default_tax_rate_ids": [str(vat.id)]})


def takes_cards(session: Session, settings: Settings, tenant: Tenant) -> None:
    """The tenant has a card gateway account (test keys), so the portal offers Pay now."""
    accounts.save_account(session, settings, tenant.id, accounts.AccountInput(
        mode="test", publishable_key="pk_test_portal", secret_key="sk_test_portal_0123456789",
        webhook_secret="whsec_portal_0123456789"))
    session.flush()


def invoice(session: Session, tenant: Tenant, customer_id: uuid.UUID, *amounts: str,
            on: date | None = date(2026, 4, 1)) -> Invoice:
    """An invoice with one line per amount, issued on `on` (a draft when on is None)."""
    draft = invoices.new_draft(session, tenant.id, customer_id)
    invoices.add_lines(session, draft, [LineInput(kind=LineKind.ONE_OFF,
                                                  description=f"Router {i + 1}",
                                                  unit_price=Decimal(a))
                                        for i, a in enumerate(amounts)])
    if on is not None:
        invoices.issue(session, draft, on)
    session.flush()
    return draft


def pay(session: Session, tenant: Tenant, customer_id: uuid.UUID, amount: str,
        on: date = date(2026, 4, 2)) -> Payment:
    return payments.record(session, tenant.id, payments.PaymentInput(
        customer_id=customer_id, method=PaymentMethod.CASH, amount=Decimal(amount),
        currency="USD", received_on=on))[0]


def pdf_text(content: bytes) -> str:
    """The text a PDF reader extracts (poppler's pdftotext)."""
    assert content.startswith(b"%PDF-")
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext is not installed (apt-get install poppler-utils)")
    result = subprocess.run([tool, "-layout", "-", "-"], input=content, capture_output=True,
                            check=True, timeout=30)
    return result.stdout.decode()


def visible(html: str) -> str:
    """The page's text as a reader sees it: tags dropped, whitespace collapsed."""
    text = re.sub(r"<[^>]+>", " ", html)
    text = re.sub(r"\s+", " ", html_lib.unescape(text)).strip()
    return re.sub(r" ([,.;:])", r"\1", text)
