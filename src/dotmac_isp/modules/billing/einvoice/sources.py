"""EDocuments from the tenant's invoices and credit notes, with the seller's legal details
from billing settings and the buyer's from the customer."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import setup
from dotmac_isp.modules.billing.einvoice.document import (
    EDocument,
    Party,
    SourceLine,
    TaxCategory,
    build,
    split,
)
from dotmac_isp.modules.billing.models import (
    BillingSettings,
    CreditNote,
    Invoice,
    InvoiceLine,
    TaxRate,
)
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.shared.errors import InvalidState

ZERO = Decimal("0")


def seller(tenant: Tenant, settings: BillingSettings) -> Party:
    if not settings.company_country:
        raise InvalidState("e-invoices need the company's country: set it in billing settings")
    street = settings.company_street or settings.company_address.split("\n")[0].strip()
    return Party(name=tenant.name, tax_id=settings.company_tax_id,
                 legal_id=settings.company_legal_id, street=street,
                 city=settings.company_city, postcode=settings.company_postcode,
                 country=settings.company_country.upper(), email=settings.company_email)


def buyer(customer: Customer, default_country: str) -> Party:
    """The customer's billing address (else the first); a domestic customer with no country
    on the address is in the seller's country."""
    address = next((a for a in customer.addresses if a.kind == "billing"),
                   customer.addresses[0] if customer.addresses else None)
    street = " ".join(p for p in (address.line1, address.line2) if p) if address else ""
    return Party(name=customer.display_name, tax_id=customer.tax_id, street=street,
                 city=address.city if address else "",
                 postcode=address.postal_code if address else "",
                 country=((address.country if address else "") or default_country).upper(),
                 email=customer.email, reference=customer.number)


def untaxed_category(session: Session, tenant_id: uuid.UUID, customer: Customer,
                     settings: BillingSettings) -> TaxCategory:
    """The category of a line that carries no tax, for this customer."""
    account = setup.account_for(session, tenant_id, customer.id)
    if account is not None and account.reverse_charge:
        return TaxCategory("AE", ZERO, "Reverse charge")
    if customer.tax_exempt:
        return TaxCategory("E", ZERO, customer.tax_exempt_reason or "Exempt")
    code = settings.untaxed_category or "E"
    return TaxCategory(code, ZERO, settings.untaxed_exemption_reason)


def _rates(session: Session, tenant_id: uuid.UUID, lines: list[InvoiceLine]) -> dict[str, TaxRate]:
    ids = {uuid.UUID(t["id"]) for line in lines for t in line.taxes if t.get("id")}
    if not ids:
        return {}
    rows = session.scalars(select(TaxRate).where(TaxRate.tenant_id == tenant_id,
                                                 TaxRate.id.in_(ids)))
    return {str(r.id): r for r in rows}


def line_category(line: InvoiceLine, rates: dict[str, TaxRate],
                  untaxed: TaxCategory) -> TaxCategory:
    if not line.taxes:
        return untaxed
    if len(line.taxes) > 1:
        raise InvalidState(f"line '{line.description}' carries {len(line.taxes)} taxes; an "
                           "e-invoice line has exactly one tax category")
    tax = line.taxes[0]
    rate = rates.get(str(tax.get("id")))
    code = rate.category_code if rate is not None else "S"
    reason = rate.exemption_reason if rate is not None else ""
    return TaxCategory(code, Decimal(tax["rate"]), reason)


def invoice_source(session: Session, invoice: Invoice, customer: Customer,
                   settings: BillingSettings) -> list[SourceLine]:
    rates = _rates(session, invoice.tenant_id, invoice.lines)
    untaxed = untaxed_category(session, invoice.tenant_id, customer, settings)
    return [SourceLine(line.description, line.quantity, line.net_amount, line.tax_amount,
                       line_category(line, rates, untaxed), line.period_start, line.period_end)
            for line in invoice.lines]


def invoice_document(session: Session, tenant: Tenant, invoice: Invoice,
                     customer: Customer) -> EDocument:
    """The issued invoice; paid and credited amounts are what was settled before."""
    if invoice.number is None or invoice.issue_date is None:
        raise InvalidState("a draft invoice has no e-invoice; issue it first")
    settings = setup.billing_settings(session, tenant.id)
    party = seller(tenant, settings)
    doc = EDocument(credit_note=False, number=invoice.number, issue_date=invoice.issue_date,
                    due_date=invoice.due_date, currency=invoice.currency, seller=party,
                    buyer=buyer(customer, party.country),
                    prepaid=invoice.amount_paid + invoice.amount_credited,
                    note=invoice.notes)
    return build(doc, invoice_source(session, invoice, customer, settings))


def credit_note_document(session: Session, tenant: Tenant, note: CreditNote, invoice: Invoice,
                         customer: Customer) -> EDocument:
    """The credit note, one line per tax category of the invoice it corrects, its net and tax
    shared in proportion to that invoice's (the parts add up to the note's figures)."""
    settings = setup.billing_settings(session, tenant.id)
    party = seller(tenant, settings)
    source = invoice_source(session, invoice, customer, settings)
    categories = list(dict.fromkeys(line.category for line in source))
    bases = [sum((s.net for s in source if s.category == c), ZERO) for c in categories]
    taxes = [sum((s.tax for s in source if s.category == c), ZERO) for c in categories]
    nets = split(note.net_amount, bases)
    tax_parts = split(note.tax_amount, taxes if any(taxes) else bases)
    lines = [SourceLine(f"{note.reason} ({invoice.number}, {c.code} {c.percent.normalize()}%)",
                        Decimal("1"), net, tax, c)
             for c, net, tax in zip(categories, nets, tax_parts, strict=True) if net or tax]
    doc = EDocument(credit_note=True, number=note.number, issue_date=note.issue_date,
                    due_date=None, currency=note.currency, seller=party,
                    buyer=buyer(customer, party.country), note=note.reason,
                    invoice_reference=(invoice.number or "", invoice.issue_date))
    return build(doc, lines)
