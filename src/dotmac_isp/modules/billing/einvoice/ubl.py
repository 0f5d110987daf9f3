"""UBL 2.1 Invoice and CreditNote (PEPPOL BIS Billing 3.0) from an EDocument.

Elements follow the order the UBL 2.1 schema requires; lxml escapes all text."""

from __future__ import annotations

from lxml import etree

from dotmac_isp.modules.billing.einvoice.document import (
    EDocument,
    Party,
    TaxCategory,
    money,
    number_text,
)

CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"


def cac(parent: etree._Element, tag: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{CAC}}}{tag}")


def cbc(parent: etree._Element, tag: str, text: str, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{CBC}}}{tag}", attrs)
    element.text = text
    return element


def _vat(parent: etree._Element) -> None:
    cbc(cac(parent, "TaxScheme"), "ID", "VAT")


def _party(parent: etree._Element, tag: str, party: Party) -> None:
    node = cac(cac(parent, tag), "Party")
    if party.email:
        cbc(node, "EndpointID", party.email, schemeID="EM")
    cbc(cac(node, "PartyName"), "Name", party.name)
    address = cac(node, "PostalAddress")
    if party.street:
        cbc(address, "StreetName", party.street)
    if party.city:
        cbc(address, "CityName", party.city)
    if party.postcode:
        cbc(address, "PostalZone", party.postcode)
    cbc(cac(address, "Country"), "IdentificationCode", party.country)
    if party.tax_id:
        scheme = cac(node, "PartyTaxScheme")
        cbc(scheme, "CompanyID", party.tax_id)
        _vat(scheme)
    legal = cac(node, "PartyLegalEntity")
    cbc(legal, "RegistrationName", party.name)
    if party.legal_id:
        cbc(legal, "CompanyID", party.legal_id)
    if party.email:
        cbc(cac(node, "Contact"), "ElectronicMail", party.email)


def _category(parent: etree._Element, tag: str, category: TaxCategory, *,
              reason: bool = False) -> None:
    node = cac(parent, tag)
    cbc(node, "ID", category.code)
    cbc(node, "Percent", number_text(category.percent))
    if reason and category.shown_reason:
        cbc(node, "TaxExemptionReason", category.shown_reason)
    _vat(node)


def _amount(parent: etree._Element, tag: str, value: object, currency: str) -> None:
    cbc(parent, tag, money(value), currencyID=currency)  # type: ignore[arg-type]


def _header(root: etree._Element, doc: EDocument) -> None:
    cbc(root, "CustomizationID", CUSTOMIZATION)
    cbc(root, "ProfileID", PROFILE)
    cbc(root, "ID", doc.number)
    cbc(root, "IssueDate", doc.issue_date.isoformat())
    if doc.credit_note:
        cbc(root, "CreditNoteTypeCode", "381")
    else:
        if doc.due_date is not None:
            cbc(root, "DueDate", doc.due_date.isoformat())
        cbc(root, "InvoiceTypeCode", "380")
    if doc.note:
        cbc(root, "Note", doc.note)
    cbc(root, "DocumentCurrencyCode", doc.currency)
    if doc.buyer.reference:
        cbc(root, "BuyerReference", doc.buyer.reference)
    if doc.invoice_reference is not None:
        number, issued = doc.invoice_reference
        reference = cac(cac(root, "BillingReference"), "InvoiceDocumentReference")
        cbc(reference, "ID", number)
        if issued is not None:
            cbc(reference, "IssueDate", issued.isoformat())
    _party(root, "AccountingSupplierParty", doc.seller)
    _party(root, "AccountingCustomerParty", doc.buyer)


def _totals(root: etree._Element, doc: EDocument) -> None:
    cur = doc.currency
    for allowance in doc.allowances:
        node = cac(root, "AllowanceCharge")
        cbc(node, "ChargeIndicator", "false")
        cbc(node, "AllowanceChargeReason", allowance.reason)
        _amount(node, "Amount", allowance.amount, cur)
        _category(node, "TaxCategory", allowance.category)
    total = cac(root, "TaxTotal")
    _amount(total, "TaxAmount", doc.tax_total, cur)
    for subtotal in doc.taxes:
        node = cac(total, "TaxSubtotal")
        _amount(node, "TaxableAmount", subtotal.basis, cur)
        _amount(node, "TaxAmount", subtotal.tax, cur)
        _category(node, "TaxCategory", subtotal.category, reason=True)
    sums = cac(root, "LegalMonetaryTotal")
    _amount(sums, "LineExtensionAmount", doc.line_total, cur)
    _amount(sums, "TaxExclusiveAmount", doc.tax_exclusive, cur)
    _amount(sums, "TaxInclusiveAmount", doc.tax_inclusive, cur)
    if doc.allowances:
        _amount(sums, "AllowanceTotalAmount", doc.allowance_total, cur)
    _amount(sums, "PrepaidAmount", doc.prepaid, cur)
    _amount(sums, "PayableAmount", doc.payable, cur)


def _lines(root: etree._Element, doc: EDocument) -> None:
    tag, quantity_tag = (("CreditNoteLine", "CreditedQuantity") if doc.credit_note
                         else ("InvoiceLine", "InvoicedQuantity"))
    for line in doc.lines:
        node = cac(root, tag)
        cbc(node, "ID", line.id)
        cbc(node, quantity_tag, number_text(line.quantity), unitCode="C62")
        _amount(node, "LineExtensionAmount", line.net, doc.currency)
        if line.period_start and line.period_end:
            period = cac(node, "InvoicePeriod")
            cbc(period, "StartDate", line.period_start.isoformat())
            cbc(period, "EndDate", line.period_end.isoformat())
        item = cac(node, "Item")
        cbc(item, "Name", line.name)
        _category(item, "ClassifiedTaxCategory", line.category)
        price = cac(node, "Price")
        cbc(price, "PriceAmount", number_text(line.price), currencyID=doc.currency)
        if line.base_quantity is not None:
            cbc(price, "BaseQuantity", number_text(line.base_quantity), unitCode="C62")


def to_ubl(doc: EDocument) -> bytes:
    """The document as UBL 2.1 XML (UTF-8, with declaration)."""
    ns = CREDIT_NOTE_NS if doc.credit_note else INVOICE_NS
    root = etree.Element(f"{{{ns}}}{'CreditNote' if doc.credit_note else 'Invoice'}",
                         nsmap={None: ns, "cac": CAC, "cbc": CBC})
    _header(root, doc)
    _totals(root, doc)
    _lines(root, doc)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
