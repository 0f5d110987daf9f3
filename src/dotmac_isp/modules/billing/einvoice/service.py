"""E-invoice documents of issued invoices and credit notes, tenant-scoped: Factur-X PDF and
UBL XML, for staff, the API, the portal and the issued-invoice email."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import company, setup
from dotmac_isp.modules.billing import service as billing
from dotmac_isp.modules.billing.einvoice import cii, facturx, sources, ubl
from dotmac_isp.modules.billing.einvoice.document import EDocument
from dotmac_isp.modules.billing.enums import InvoiceStatus
from dotmac_isp.modules.billing.models import CreditNote, Invoice
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.shared.errors import Conflict

Document = billing.Document
PDF, XML = "application/pdf", "application/xml"


def _issued(invoice: Invoice) -> Invoice:
    if invoice.status == InvoiceStatus.DRAFT or invoice.number is None:
        raise Conflict("a draft invoice has no e-invoice: issue it first")
    return invoice


def _stem(number: str) -> str:
    return billing._filename(number).removesuffix(".pdf")


def invoice_edocument(session: Session, tenant_id: uuid.UUID, invoice: Invoice) -> EDocument:
    """The invoice in EN 16931 terms (the figures both syntaxes print)."""
    _issued(invoice)
    tenant = identity_service.get_tenant(session, tenant_id)
    customer = customers_service.get_customer(session, tenant_id, invoice.customer_id)
    return sources.invoice_document(session, tenant, invoice, customer)


def invoice_facturx(session: Session, tenant_id: uuid.UUID, invoice_id: uuid.UUID) -> Document:
    """The issued invoice as a Factur-X PDF (409 for a draft)."""
    invoice = _issued(billing.get_invoice(session, tenant_id, invoice_id))
    xml = cii.to_cii(invoice_edocument(session, tenant_id, invoice))
    printed = billing.invoice_document(session, tenant_id, invoice.id)
    tenant = identity_service.get_tenant(session, tenant_id)
    content = facturx.embed(printed.content, xml, title=f"{tenant.name}: invoice "
                            f"{invoice.number}", author=tenant.name)
    return Document(f"{_stem(invoice.number or '')}-facturx.pdf", content)


def invoice_ubl(session: Session, tenant_id: uuid.UUID, invoice_id: uuid.UUID) -> Document:
    """The issued invoice as UBL 2.1 XML, PEPPOL BIS Billing 3.0 (409 for a draft)."""
    invoice = _issued(billing.get_invoice(session, tenant_id, invoice_id))
    xml = ubl.to_ubl(invoice_edocument(session, tenant_id, invoice))
    return Document(f"{_stem(invoice.number or '')}-ubl.xml", xml)


def credit_note_edocument(session: Session, tenant_id: uuid.UUID,
                          note: CreditNote) -> EDocument:
    tenant = identity_service.get_tenant(session, tenant_id)
    invoice = billing.get_invoice(session, tenant_id, note.invoice_id)
    customer = customers_service.get_customer(session, tenant_id, note.customer_id)
    return sources.credit_note_document(session, tenant, note, invoice, customer)


def credit_note_facturx(session: Session, tenant_id: uuid.UUID, note_id: uuid.UUID) -> Document:
    """The credit note as a Factur-X PDF (CII type code 381)."""
    note = billing.get_credit_note(session, tenant_id, note_id)
    xml = cii.to_cii(credit_note_edocument(session, tenant_id, note))
    tenant = identity_service.get_tenant(session, tenant_id)
    invoice = billing.get_invoice(session, tenant_id, note.invoice_id)
    customer = customers_service.get_customer(session, tenant_id, note.customer_id)
    printed = facturx.credit_note_pdf(tenant, note, invoice.number or "", customer,
                                      company.document_issuer(session, tenant_id))
    content = facturx.embed(printed, xml, title=f"{tenant.name}: credit note {note.number}",
                            author=tenant.name)
    return Document(f"{_stem(note.number)}-facturx.pdf", content)


def credit_note_ubl(session: Session, tenant_id: uuid.UUID, note_id: uuid.UUID) -> Document:
    """The credit note as a UBL 2.1 CreditNote."""
    note = billing.get_credit_note(session, tenant_id, note_id)
    xml = ubl.to_ubl(credit_note_edocument(session, tenant_id, note))
    return Document(f"{_stem(note.number)}-ubl.xml", xml)


def customer_invoice_document(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID,
                              invoice_id: uuid.UUID, kind: str) -> Document:
    """One of the customer's own issued invoices, as "facturx" or "ubl"; anyone else's is
    not found."""
    invoice = billing.customer_invoice(session, tenant_id, customer_id, invoice_id)
    if kind == "ubl":
        return invoice_ubl(session, tenant_id, invoice.id)
    return invoice_facturx(session, tenant_id, invoice.id)


@dataclass(frozen=True)
class EmailChoice:
    """What the customer's issued-invoice email carries, and whether untaxed lines are
    reverse charge for them."""

    facturx: bool = False
    ubl: bool = False
    reverse_charge: bool = False


def email_choice(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> EmailChoice:
    account = setup.account_for(session, tenant_id, customer_id)
    if account is None:
        return EmailChoice()
    return EmailChoice(account.einvoice_email, account.einvoice_ubl, account.reverse_charge)


def set_email_choice(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID,
                     choice: EmailChoice) -> EmailChoice:
    """Saves the choice on the customer's billing account (created on first need); the UBL
    file goes only with the Factur-X one."""
    setup.update_account(session, tenant_id, customer_id, {
        "einvoice_email": choice.facturx, "einvoice_ubl": choice.facturx and choice.ubl,
        "reverse_charge": choice.reverse_charge})
    return email_choice(session, tenant_id, customer_id)
