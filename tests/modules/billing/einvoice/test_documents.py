"""Factur-X and UBL files of issued invoices and credit notes: schema-valid, and their totals
are the invoice's own."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO

import facturx
import pytest
from lxml import etree
from pypdf import PdfReader
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import invoices
from dotmac_isp.modules.billing.einvoice import service
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.shared.errors import Conflict
from tests.modules.billing.einvoice.helpers import (
    business,
    mixed_invoice,
    seller_details,
    ubl_schema,
)

D = Decimal
RAM = "{urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100}"
CBC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}"
CAC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2}"


def cii_of(pdf: bytes) -> etree._Element:
    name, xml = facturx.get_xml_from_pdf(pdf, check_xsd=False)
    assert name == "factur-x.xml"
    facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")  # raises when invalid
    return etree.fromstring(xml)


def sums(root: etree._Element) -> dict[str, Decimal]:
    node = root.find(f".//{RAM}SpecifiedTradeSettlementHeaderMonetarySummation")
    assert node is not None
    return {child.tag.removeprefix(RAM): D(child.text or "") for child in node}


def test_invoice_facturx_is_en16931_valid_with_the_invoices_totals(
        session: Session, tenant: Tenant) -> None:
    seller_details(session, tenant)
    invoice = mixed_invoice(session, tenant, business(session, tenant))
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (
        D("130.00"), D("8.75"), D("138.75"))  # 7.50 + 2.00 - 0.75
    document = service.invoice_facturx(session, tenant.id, invoice.id)
    assert document.filename == f"{invoice.number}-facturx.pdf"
    assert PdfReader(BytesIO(document.content)).pages  # still a readable PDF
    root = cii_of(document.content)
    assert sums(root) == {
        "LineTotalAmount": D("140.00"), "AllowanceTotalAmount": D("10.00"),
        "TaxBasisTotalAmount": invoice.subtotal, "TaxTotalAmount": invoice.tax_total,
        "GrandTotalAmount": invoice.total, "TotalPrepaidAmount": invoice.amount_paid,
        "DuePayableAmount": invoice.balance_due}
    assert invoice.balance_due == D("88.75")
    breakdown = {(t.findtext(f"{RAM}CategoryCode"), t.findtext(f"{RAM}RateApplicablePercent")):
                 (D(t.findtext(f"{RAM}BasisAmount") or ""),
                  D(t.findtext(f"{RAM}CalculatedAmount") or ""))
                 for t in root.iterfind(f".//{RAM}ApplicableHeaderTradeSettlement/"
                                        f"{RAM}ApplicableTradeTax")}
    assert breakdown == {("S", "7.5"): (D("90.00"), D("6.75")),
                         ("S", "5"): (D("40.00"), D("2.00"))}
    names = [n.text for n in root.iterfind(f".//{RAM}SpecifiedTradeProduct/{RAM}Name")]
    assert names == ["Fibre 100 <Home> & more", "Router"]  # escaped, read back as typed
    assert root.findtext(f".//{RAM}BuyerTradeParty/{RAM}Name") == "Acme & <Sons> Ltd"
    tax_ids = [n.text for n in root.iterfind(f".//{RAM}SpecifiedTaxRegistration/{RAM}ID")]
    assert tax_ids == ["NG12345678", "NG87654321"]


def test_invoice_ubl_validates_against_the_ubl_21_schema(session: Session,
                                                         tenant: Tenant) -> None:
    seller_details(session, tenant)
    invoice = mixed_invoice(session, tenant, business(session, tenant))
    document = service.invoice_ubl(session, tenant.id, invoice.id)
    assert document.filename == f"{invoice.number}-ubl.xml"
    root = etree.fromstring(document.content)
    schema = ubl_schema()
    assert schema.validate(root), schema.error_log
    assert root.findtext(f"{CBC}CustomizationID") == (
        "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0")
    totals = {c.tag.removeprefix(CBC): D(c.text or "")
              for c in root.find(f"{CAC}LegalMonetaryTotal")}
    assert totals == {"LineExtensionAmount": D("140.00"), "TaxExclusiveAmount": D("130.00"),
                      "TaxInclusiveAmount": D("138.75"), "AllowanceTotalAmount": D("10.00"),
                      "PrepaidAmount": D("50.00"), "PayableAmount": D("88.75")}
    assert root.findtext(f"{CAC}TaxTotal/{CBC}TaxAmount") == "8.75"
    prices = [(p.findtext(f"{CBC}PriceAmount"), p.findtext(f"{CBC}BaseQuantity"))
              for p in root.iterfind(f".//{CAC}Price")]
    assert prices == [("100", None), ("20", None)]


def test_credit_note_facturx_and_ubl(session: Session, tenant: Tenant) -> None:
    seller_details(session, tenant)
    invoice = mixed_invoice(session, tenant, business(session, tenant), paid=None)
    note = invoices.credit(session, tenant.id, invoice.id, amount=D("27.75"),
                           reason="Outage <3 days> & apology", on=date(2026, 4, 10))
    root = cii_of(service.credit_note_facturx(session, tenant.id, note.id).content)
    assert root.findtext(".//{*}ExchangedDocument/{*}TypeCode") == "381"
    assert root.findtext(f".//{RAM}InvoiceReferencedDocument/{RAM}IssuerAssignedID") == (
        invoice.number)
    figures = sums(root)
    assert (figures["TaxBasisTotalAmount"], figures["TaxTotalAmount"],
            figures["GrandTotalAmount"], figures["DuePayableAmount"]) == (
        note.net_amount, note.tax_amount, note.total, note.total)
    ubl = etree.fromstring(service.credit_note_ubl(session, tenant.id, note.id).content)
    schema = ubl_schema(credit_note=True)
    assert schema.validate(ubl), schema.error_log
    assert ubl.findtext(f"{CAC}LegalMonetaryTotal/{CBC}PayableAmount") == str(note.total)


def test_a_draft_has_no_einvoice(session: Session, tenant: Tenant) -> None:
    seller_details(session, tenant)
    draft = mixed_invoice(session, tenant, business(session, tenant), issue=False)
    for build in (service.invoice_facturx, service.invoice_ubl):
        with pytest.raises(Conflict):
            build(session, tenant.id, draft.id)
