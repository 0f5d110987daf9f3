"""The customer's billing in the portal: invoices, payments, balance and their PDFs.

A customer reaches only their own documents; any other id is not found."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from dotmac_isp.modules.billing import service
from dotmac_isp.modules.billing.gateways import accounts as gateway_accounts
from dotmac_isp.modules.billing.gateways import gocardless_accounts
from dotmac_isp.modules.billing.web import pdf_response
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.customers.portal_web import portal_tenant, signed_in_account
from dotmac_isp.modules.identity.deps import DbSession
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.web.templating import render

router = APIRouter(prefix="/portal/{slug}/billing", include_in_schema=False)
PAGE_SIZE = 20


@router.get("", response_class=HTMLResponse)
def billing_home(request: Request, slug: str, session: DbSession,
                 offset: int = 0) -> HTMLResponse:
    tenant = portal_tenant(session, slug)
    account = signed_in_account(request, session, tenant)
    customer = customers_service.get_customer(session, tenant.id, account.customer_id)
    invoices = service.customer_invoices(session, tenant.id, customer.id,
                                         PageParams(limit=PAGE_SIZE, offset=max(offset, 0)))
    payments = service.list_payments(session, tenant.id, PageParams(limit=50),
                                     customer_id=customer.id)
    statement = service.statement(session, tenant.id, customer.id)
    return render(request, "billing/portal.html", {
        "tenant": tenant, "customer": customer, "invoices": invoices,
        "payments": payments.items, "balance": statement.balance, "params": {},
        "pays_online": gateway_accounts.pays_online(session, tenant.id),
        "direct_debit": gocardless_accounts.collects_direct_debit(session, tenant.id)})


@router.get("/invoices/{invoice_id}/pdf")
def invoice_pdf(request: Request, slug: str, invoice_id: uuid.UUID,
                session: DbSession) -> Response:
    tenant = portal_tenant(session, slug)
    account = signed_in_account(request, session, tenant)
    invoice = service.customer_invoice(session, tenant.id, account.customer_id, invoice_id)
    return pdf_response(service.invoice_document(session, tenant.id, invoice.id))


@router.get("/payments/{payment_id}/receipt.pdf")
def receipt_pdf(request: Request, slug: str, payment_id: uuid.UUID,
                session: DbSession) -> Response:
    tenant = portal_tenant(session, slug)
    account = signed_in_account(request, session, tenant)
    payment = service.customer_payment(session, tenant.id, account.customer_id, payment_id)
    return pdf_response(service.receipt_document(session, tenant.id, payment.id))
