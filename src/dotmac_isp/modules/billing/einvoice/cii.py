"""UN/CEFACT Cross Industry Invoice (D16B, Factur-X EN 16931 profile) from an EDocument.

lxml escapes every text it is given, so names and reasons typed by users stay text."""

from __future__ import annotations

from datetime import date

from lxml import etree

from dotmac_isp.modules.billing.einvoice.document import (
    EDocument,
    Party,
    TaxCategory,
    money,
    number_text,
)

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}
EN16931 = "urn:cen.eu:en16931:2017"
INVOICE, CREDIT_NOTE = "380", "381"


def _el(parent: etree._Element, ns: str, tag: str, text: str | None = None,
        **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ns}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def ram(parent: etree._Element, tag: str, text: str | None = None,
        **attrs: str) -> etree._Element:
    return _el(parent, RAM, tag, text, **attrs)


def _date(parent: etree._Element, tag: str, value: date, ns: str = UDT) -> None:
    _el(ram(parent, tag), ns, "DateTimeString", value.strftime("%Y%m%d"), format="102")


def _party(parent: etree._Element, tag: str, party: Party) -> None:
    node = ram(parent, tag)
    ram(node, "Name", party.name)
    if party.legal_id:
        ram(ram(node, "SpecifiedLegalOrganization"), "ID", party.legal_id)
    address = ram(node, "PostalTradeAddress")
    if party.postcode:
        ram(address, "PostcodeCode", party.postcode)
    if party.street:
        ram(address, "LineOne", party.street)
    if party.city:
        ram(address, "CityName", party.city)
    ram(address, "CountryID", party.country)
    if party.email:
        ram(ram(node, "URIUniversalCommunication"), "URIID", party.email, schemeID="EM")
    if party.tax_id:
        ram(ram(node, "SpecifiedTaxRegistration"), "ID", party.tax_id, schemeID="VA")


def _category(parent: etree._Element, category: TaxCategory, *,
              reason: bool = False) -> None:
    ram(parent, "TypeCode", "VAT")
    if reason and category.shown_reason:
        ram(parent, "ExemptionReason", category.shown_reason)
    ram(parent, "CategoryCode", category.code)
    ram(parent, "RateApplicablePercent", number_text(category.percent))


def _lines(transaction: etree._Element, doc: EDocument) -> None:
    for line in doc.lines:
        item = ram(transaction, "IncludedSupplyChainTradeLineItem")
        ram(ram(item, "AssociatedDocumentLineDocument"), "LineID", line.id)
        ram(ram(item, "SpecifiedTradeProduct"), "Name", line.name)
        price = ram(ram(item, "SpecifiedLineTradeAgreement"), "NetPriceProductTradePrice")
        ram(price, "ChargeAmount", number_text(line.price) if line.price else "0")
        if line.base_quantity is not None:
            ram(price, "BasisQuantity", number_text(line.base_quantity), unitCode="C62")
        ram(ram(item, "SpecifiedLineTradeDelivery"), "BilledQuantity",
            number_text(line.quantity), unitCode="C62")
        settlement = ram(item, "SpecifiedLineTradeSettlement")
        _category(ram(settlement, "ApplicableTradeTax"), line.category)
        if line.period_start and line.period_end:
            period = ram(settlement, "BillingSpecifiedPeriod")
            _date(period, "StartDateTime", line.period_start)
            _date(period, "EndDateTime", line.period_end)
        ram(ram(settlement, "SpecifiedTradeSettlementLineMonetarySummation"),
            "LineTotalAmount", money(line.net))


def _settlement(transaction: etree._Element, doc: EDocument) -> None:
    settlement = ram(transaction, "ApplicableHeaderTradeSettlement")
    ram(settlement, "InvoiceCurrencyCode", doc.currency)
    for subtotal in doc.taxes:
        tax = ram(settlement, "ApplicableTradeTax")
        ram(tax, "CalculatedAmount", money(subtotal.tax))
        ram(tax, "TypeCode", "VAT")
        if subtotal.category.shown_reason:
            ram(tax, "ExemptionReason", subtotal.category.shown_reason)
        ram(tax, "BasisAmount", money(subtotal.basis))
        ram(tax, "CategoryCode", subtotal.category.code)
        ram(tax, "RateApplicablePercent", number_text(subtotal.category.percent))
    for allowance in doc.allowances:
        node = ram(settlement, "SpecifiedTradeAllowanceCharge")
        _el(ram(node, "ChargeIndicator"), UDT, "Indicator", "false")
        ram(node, "ActualAmount", money(allowance.amount))
        ram(node, "Reason", allowance.reason)
        _category(ram(node, "CategoryTradeTax"), allowance.category)
    if doc.due_date is not None:
        _date(ram(settlement, "SpecifiedTradePaymentTerms"), "DueDateDateTime", doc.due_date)
    sums = ram(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation")
    ram(sums, "LineTotalAmount", money(doc.line_total))
    if doc.allowances:
        ram(sums, "AllowanceTotalAmount", money(doc.allowance_total))
    ram(sums, "TaxBasisTotalAmount", money(doc.tax_exclusive))
    ram(sums, "TaxTotalAmount", money(doc.tax_total), currencyID=doc.currency)
    ram(sums, "GrandTotalAmount", money(doc.tax_inclusive))
    ram(sums, "TotalPrepaidAmount", money(doc.prepaid))
    ram(sums, "DuePayableAmount", money(doc.payable))
    if doc.invoice_reference is not None:
        number, issued = doc.invoice_reference
        referenced = ram(settlement, "InvoiceReferencedDocument")
        ram(referenced, "IssuerAssignedID", number)
        if issued is not None:
            _date(referenced, "FormattedIssueDateTime", issued, ns=QDT)


def to_cii(doc: EDocument) -> bytes:
    """The document as CII XML (UTF-8, with declaration)."""
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    context = _el(root, RSM, "ExchangedDocumentContext")
    ram(ram(context, "GuidelineSpecifiedDocumentContextParameter"), "ID", EN16931)
    header = _el(root, RSM, "ExchangedDocument")
    ram(header, "ID", doc.number)
    ram(header, "TypeCode", CREDIT_NOTE if doc.credit_note else INVOICE)
    _date(header, "IssueDateTime", doc.issue_date)
    if doc.note:
        ram(ram(header, "IncludedNote"), "Content", doc.note)
    transaction = _el(root, RSM, "SupplyChainTradeTransaction")
    _lines(transaction, doc)
    agreement = ram(transaction, "ApplicableHeaderTradeAgreement")
    if doc.buyer.reference:
        ram(agreement, "BuyerReference", doc.buyer.reference)
    _party(agreement, "SellerTradeParty", doc.seller)
    _party(agreement, "BuyerTradeParty", doc.buyer)
    ram(transaction, "ApplicableHeaderTradeDelivery")
    _settlement(transaction, doc)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
