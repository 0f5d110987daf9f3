"""An invoice in the portal as a web page: the same facts the PDF prints (issuer, bill-to,
lines, tax, totals) and what has been applied to it (payments, credit notes).

A customer reaches only their own issued invoices; any other id is not found."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import company, pdf, service
from dotmac_isp.modules.billing.gateways import accounts as gateway_accounts
from dotmac_isp.modules.billing.models import Invoice
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.customers.portal_web import portal_tenant, signed_in_account
from dotmac_isp.modules.identity.deps import DbSession
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.web.templating import render

router = APIRouter(prefix="/portal/{slug}/billing", include_in_schema=False)


@dataclass(frozen=True)
class TaxRow:
    label: str
    amount: Decimal


@dataclass(frozen=True)
class Applied:
    kind: str  # "payment" or "credit note"
    number: str
    on: Any
    amount: Decimal


@dataclass(frozen=True)
class InvoiceView:
    invoice: Invoice
    issuer_lines: list[str]
    bill_to: pdf.Party
    taxes: list[TaxRow]
    applied: list[Applied]

    @property
    def title(self) -> str:
        status = {"paid": "paid", "void": "void (credited)"}.get(self.invoice.status, "")
        return f"Invoice {self.invoice.number or ''} {status}".strip()


def invoice_view(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID,
                 invoice_id: uuid.UUID) -> InvoiceView:
    """One of the customer's issued invoices with what has been applied to it."""
    invoice = service.customer_invoice(session, tenant_id, customer_id, invoice_id)
    customer = customers_service.get_customer(session, tenant_id, customer_id)
    taxes = [TaxRow(f"{t['name']} {t['rate']}%", Decimal(t["amount"]))
             for t in invoice.tax_summary]
    applied = [Applied("payment", p.number, p.received_on, a.amount)
               for a, p in service.payments_applied(session, tenant_id, invoice.id)]
    applied += [Applied("credit note", n.number, n.issue_date, n.total)
                for n in service.list_credit_notes(session, tenant_id, PageParams(limit=200),
                                                   invoice_id=invoice.id).items]
    applied.sort(key=lambda a: (a.on, a.number))
    return InvoiceView(invoice, company.document_issuer(session, tenant_id).lines,
                       pdf.bill_to(customer), taxes, applied)


@router.get("/invoices/{invoice_id}", response_class=HTMLResponse)
def invoice_page(request: Request, slug: str, invoice_id: uuid.UUID,
                 session: DbSession) -> HTMLResponse:
    tenant = portal_tenant(session, slug)
    account = signed_in_account(request, session, tenant)
    view = invoice_view(session, tenant.id, account.customer_id, invoice_id)
    customer = customers_service.get_customer(session, tenant.id, account.customer_id)
    return render(request, "portal/invoice.html", {
        "tenant": tenant, "customer": customer, "view": view, "invoice": view.invoice,
        "pays_online": gateway_accounts.pays_online(session, tenant.id)})
