"""E-invoice downloads: the API, the staff invoice page and the customer portal. Every route
reaches the document through the tenant (and, in the portal, the signed-in customer): any
other id is not found; a draft is a 409."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from dotmac_isp.modules.billing.einvoice import service
from dotmac_isp.modules.customers.portal_web import portal_tenant, signed_in_account
from dotmac_isp.modules.identity.deps import DbSession, page_permission, require
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.identity.principal import Principal
from dotmac_isp.web.templating import flash, verify_csrf

P = Permission
api_router = APIRouter(tags=["invoices"])
admin_router = APIRouter(prefix="/admin", include_in_schema=False)
portal_router = APIRouter(prefix="/portal/{slug}/billing", include_in_schema=False)
FILES: dict[int | str, dict[str, Any]] = {
    200: {"content": {service.PDF: {}, service.XML: {}}}, 409: {"description": "a draft"}}


def download(document: service.Document) -> Response:
    """The file as an attachment under its own name."""
    kind = service.PDF if document.filename.endswith(".pdf") else service.XML
    return Response(document.content, media_type=kind,
                    headers={"Content-Disposition": f'attachment; filename="{document.filename}"'})


@api_router.get("/invoices/{invoice_id}/facturx.pdf", responses=FILES)
def api_invoice_facturx(invoice_id: uuid.UUID, session: DbSession,
                        principal: Principal = require(P.BILLING_READ)) -> Response:
    """The issued invoice as Factur-X (PDF/A-3 with EN 16931 CII XML)."""
    return download(service.invoice_facturx(session, principal.tenant_id, invoice_id))


@api_router.get("/invoices/{invoice_id}/ubl.xml", responses=FILES)
def api_invoice_ubl(invoice_id: uuid.UUID, session: DbSession,
                    principal: Principal = require(P.BILLING_READ)) -> Response:
    """The issued invoice as UBL 2.1 (PEPPOL BIS Billing 3.0)."""
    return download(service.invoice_ubl(session, principal.tenant_id, invoice_id))


@api_router.get("/credit-notes/{note_id}/facturx.pdf", responses=FILES)
def api_credit_note_facturx(note_id: uuid.UUID, session: DbSession,
                            principal: Principal = require(P.BILLING_READ)) -> Response:
    return download(service.credit_note_facturx(session, principal.tenant_id, note_id))


@api_router.get("/credit-notes/{note_id}/ubl.xml", responses=FILES)
def api_credit_note_ubl(note_id: uuid.UUID, session: DbSession,
                        principal: Principal = require(P.BILLING_READ)) -> Response:
    return download(service.credit_note_ubl(session, principal.tenant_id, note_id))


@admin_router.get("/invoices/{invoice_id}/facturx.pdf")
def admin_invoice_facturx(invoice_id: uuid.UUID, session: DbSession,
                          user: User = page_permission(P.BILLING_READ)) -> Response:
    return download(service.invoice_facturx(session, user.tenant_id, invoice_id))


@admin_router.get("/invoices/{invoice_id}/ubl.xml")
def admin_invoice_ubl(invoice_id: uuid.UUID, session: DbSession,
                      user: User = page_permission(P.BILLING_READ)) -> Response:
    return download(service.invoice_ubl(session, user.tenant_id, invoice_id))


@admin_router.get("/credit-notes/{note_id}/facturx.pdf")
def admin_credit_note_facturx(note_id: uuid.UUID, session: DbSession,
                              user: User = page_permission(P.BILLING_READ)) -> Response:
    return download(service.credit_note_facturx(session, user.tenant_id, note_id))


@admin_router.get("/credit-notes/{note_id}/ubl.xml")
def admin_credit_note_ubl(note_id: uuid.UUID, session: DbSession,
                          user: User = page_permission(P.BILLING_READ)) -> Response:
    return download(service.credit_note_ubl(session, user.tenant_id, note_id))


@admin_router.post("/customers/{customer_id}/einvoice")
async def admin_email_choice(request: Request, customer_id: uuid.UUID, session: DbSession,
                             user: User = page_permission(P.BILLING_WRITE)) -> Response:
    """The customer page's e-invoice box: what the issued-invoice email carries."""
    form = await verify_csrf(request)
    choice = service.set_email_choice(session, user.tenant_id, customer_id, service.EmailChoice(
        facturx=form.get("facturx") == "1", ubl=form.get("ubl") == "1",
        reverse_charge=form.get("reverse_charge") == "1"))
    flash(request, "E-invoices by email: " + ("Factur-X" + (" and UBL" if choice.ubl else "")
                                             if choice.facturx else "off") + ".")
    return RedirectResponse(f"/admin/customers/{customer_id}", status_code=303)


@portal_router.get("/invoices/{invoice_id}/facturx.pdf")
def portal_invoice_facturx(request: Request, slug: str, invoice_id: uuid.UUID,
                           session: DbSession) -> Response:
    tenant = portal_tenant(session, slug)
    account = signed_in_account(request, session, tenant)
    return download(service.customer_invoice_document(session, tenant.id, account.customer_id,
                                                      invoice_id, "facturx"))


@portal_router.get("/invoices/{invoice_id}/ubl.xml")
def portal_invoice_ubl(request: Request, slug: str, invoice_id: uuid.UUID,
                       session: DbSession) -> Response:
    tenant = portal_tenant(session, slug)
    account = signed_in_account(request, session, tenant)
    return download(service.customer_invoice_document(session, tenant.id, account.customer_id,
                                                      invoice_id, "ubl"))
