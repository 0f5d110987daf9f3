"""Tax categories on e-invoices: a rate's own category and exemption reason, reverse charge
for a customer abroad, and an exempt customer's reason."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from lxml import etree
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import invoices, setup
from dotmac_isp.modules.billing.einvoice import service
from dotmac_isp.modules.billing.enums import LineKind
from dotmac_isp.modules.billing.invoices import LineInput
from dotmac_isp.modules.billing.models import Invoice
from dotmac_isp.modules.billing.tax import Rate
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.identity.models import Tenant
from tests.modules.billing.einvoice.helpers import business, seller_details, ubl_schema

D = Decimal
CBC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}"
CAC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2}"


def issued(session: Session, tenant: Tenant, customer: Customer,
           rates: list[Rate] | None) -> Invoice:
    draft = invoices.new_draft(session, tenant.id, customer.id)
    invoices.add_lines(session, draft, [LineInput(LineKind.ONE_OFF, "Transit", D("200.00"))],
                       rates)
    invoices.issue(session, draft, date(2026, 4, 1))
    return draft


def breakdown(session: Session, tenant: Tenant, invoice: Invoice) -> list[tuple[str, ...]]:
    root = etree.fromstring(service.invoice_ubl(session, tenant.id, invoice.id).content)
    assert ubl_schema().validate(root), ubl_schema().error_log
    return [(s.findtext(f"{CAC}TaxCategory/{CBC}ID") or "",
             s.findtext(f"{CAC}TaxCategory/{CBC}Percent") or "",
             s.findtext(f"{CAC}TaxCategory/{CBC}TaxExemptionReason") or "",
             s.findtext(f"{CBC}TaxableAmount") or "", s.findtext(f"{CBC}TaxAmount") or "")
            for s in root.iterfind(f"{CAC}TaxTotal/{CAC}TaxSubtotal")]


def test_reverse_charge_customer(session: Session, tenant: Tenant) -> None:
    seller_details(session, tenant)
    abroad = business(session, tenant, addresses=[{"kind": "billing", "line1": "Hauptstr. 1",
                                                   "city": "Berlin", "country": "DE"}])
    setup.update_account(session, tenant.id, abroad.id, {"reverse_charge": True})
    invoice = issued(session, tenant, abroad, [])
    assert breakdown(session, tenant, invoice) == [
        ("AE", "0", "Reverse charge", "200.00", "0.00")]


def test_exempt_customer_and_a_rates_own_category(session: Session, tenant: Tenant) -> None:
    seller_details(session, tenant)
    charity = business(session, tenant, tax_exempt=True,
                       tax_exempt_reason="Registered charity <no. 42>")
    assert breakdown(session, tenant, issued(session, tenant, charity, [])) == [
        ("E", "0", "Registered charity <no. 42>", "200.00", "0.00")]
    export = setup.create_tax_rate(session, tenant.id, "Export", D("0"))
    setup.update_tax_rate(session, tenant.id, export.id, {"category_code": "Z"})
    customer = business(session, tenant)
    invoice = issued(session, tenant, customer, [Rate(str(export.id), "Export", D("0"))])
    assert breakdown(session, tenant, invoice) == [("Z", "0", "", "200.00", "0.00")]
