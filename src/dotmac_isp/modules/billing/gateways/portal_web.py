"""Pay now in the portal: confirm what is paid, go to the gateway's hosted page, come back
to a page that says whether the payment is in. Only the signed-in customer's own open
invoices can be paid; any other id is not found."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dotmac_isp.modules.billing.gateways import service
from dotmac_isp.modules.billing.gateways.hosted_pages import leads_to_gateway
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.customers.portal_web import portal_tenant, signed_in_account
from dotmac_isp.modules.identity.deps import AppSettings, DbSession
from dotmac_isp.shared.errors import AppError
from dotmac_isp.web.templating import render, verify_csrf

router = APIRouter(prefix="/portal/{slug}/pay", include_in_schema=False)


def _confirm(request: Request, session: DbSession, settings: AppSettings, slug: str,
             invoice_id: uuid.UUID | None, errors: list[str] | None = None,
             status_code: int = 200) -> HTMLResponse:
    tenant = portal_tenant(session, slug)
    account = signed_in_account(request, session, tenant)
    customer = customers_service.get_customer(session, tenant.id, account.customer_id)
    chosen, amount = service.payable(session, tenant.id, customer.id, invoice_id)
    _, balance = service.payable(session, tenant.id, customer.id, None)
    return leads_to_gateway(render(request, "gateways/pay.html", {
        "tenant": tenant, "customer": customer, "invoices": chosen, "amount": amount,
        "balance": balance, "invoice_id": invoice_id, "errors": errors or []},
        status_code=status_code), settings)


@router.get("/invoices/{invoice_id}", response_class=HTMLResponse)
def pay_invoice_page(request: Request, slug: str, invoice_id: uuid.UUID,
                     session: DbSession, settings: AppSettings) -> HTMLResponse:
    return _confirm(request, session, settings, slug, invoice_id)


@router.get("/balance", response_class=HTMLResponse)
def pay_balance_page(request: Request, slug: str, session: DbSession,
                     settings: AppSettings) -> HTMLResponse:
    return _confirm(request, session, settings, slug, None)


async def _start(request: Request, session: DbSession, settings: AppSettings, slug: str,
                 invoice_id: uuid.UUID | None) -> Response:
    await verify_csrf(request)
    tenant = portal_tenant(session, slug)
    account = signed_in_account(request, session, tenant)
    try:
        with session.begin_nested():  # a refused checkout leaves no row behind
            url = service.start_checkout(session, settings, tenant.id, account.customer_id,
                                         invoice_id)
    except AppError as exc:
        if exc.status_code == 404:
            raise
        return _confirm(request, session, settings, slug, invoice_id, [exc.detail],
                        exc.status_code if exc.status_code < 500 else 502)
    return RedirectResponse(url, status_code=303)


@router.post("/invoices/{invoice_id}")
async def pay_invoice(request: Request, slug: str, invoice_id: uuid.UUID, session: DbSession,
                      settings: AppSettings) -> Response:
    return await _start(request, session, settings, slug, invoice_id)


@router.post("/balance")
async def pay_balance(request: Request, slug: str, session: DbSession,
                      settings: AppSettings) -> Response:
    return await _start(request, session, settings, slug, None)


@router.get("/return/{checkout_id}", response_class=HTMLResponse)
def returned(request: Request, slug: str, checkout_id: uuid.UUID, session: DbSession,
             settings: AppSettings) -> HTMLResponse:
    tenant = portal_tenant(session, slug)
    account = signed_in_account(request, session, tenant)
    payment = service.settle_returned(session, settings, tenant.id, account.customer_id,
                                      checkout_id)
    return render(request, "gateways/returned.html", {"tenant": tenant, "payment": payment})
