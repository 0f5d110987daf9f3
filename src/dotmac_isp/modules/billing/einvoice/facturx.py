"""Factur-X: the printed PDF made PDF/A-3 with the CII XML embedded (EN 16931 profile), and
the credit note's printed PDF it starts from."""

from __future__ import annotations

from facturx import generate_from_binary

from dotmac_isp.modules.billing import pdf
from dotmac_isp.modules.billing.models import CreditNote
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.shared.money import format_amount

LEVEL = "en16931"


def embed(printed: bytes, cii_xml: bytes, *, title: str, author: str) -> bytes:
    """The PDF with the XML attached as factur-x.xml; the XML is checked against the
    EN 16931 schema on the way (an invalid one raises instead of shipping)."""
    metadata = {"author": author, "keywords": "Factur-X", "title": title, "subject": title}
    return bytes(generate_from_binary(printed, cii_xml, flavor="factur-x", level=LEVEL,
                                      check_xsd=True, pdf_metadata=metadata, lang="en"))


def credit_note_pdf(tenant: Tenant, note: CreditNote, invoice_number: str, customer: Customer,
                    issuer: pdf.Issuer | None = None) -> bytes:
    """The credit note laid out like the invoice: what it credits, why, net, tax, total."""
    doc = pdf._Document(tenant, "CREDIT NOTE", issuer)
    doc.facts([("Credit note", note.number), ("Issue date", str(note.issue_date)),
               ("Credits invoice", invoice_number), ("Currency", note.currency)],
              pdf.bill_to(customer))
    doc.grid(["Reason", "Net", "Tax", "Total"], [111, 25, 25, 25],
             [[note.reason, format_amount(note.net_amount), format_amount(note.tax_amount),
               format_amount(note.total)]])
    doc.ln(3)
    doc.total_row("Credited", f"{format_amount(note.total)} {note.currency}", bold=True)
    return bytes(doc.output())
