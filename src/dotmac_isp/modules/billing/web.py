"""Staff pages for invoices: the list with filters and totals, the detail with its PDF, issuing
a draft, and credit notes with a confirmation step."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import service
from dotmac_isp.modules.billing.enums import InvoiceStatus
from dotmac_isp.modules.billing.models import Invoice
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.identity.deps import DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.shared.errors import AppError
from dotmac_isp.shared.money import round_money
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.web.forms import FormErrors, all_or_nothing
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/admin", include_in_schema=False)
P = Permission
PAGE_SIZE = 25
STATUSES = [s.value for s in InvoiceStatus]


def find_customer(session: Session, tenant_id: uuid.UUID, text: str) -> Customer | None:
    """A customer by id or by number (C000123), as typed into a form."""
    text = text.strip()
    if not text:
        return None
    try:
        return customers_service.get_customer(session, tenant_id, uuid.UUID(text))
    except ValueError:
        pass
    except AppError:
        return None
    number = text.upper()
    found = customers_service.list_customers(session, tenant_id, PageParams(limit=20),
                                             query=number[:200]).items
    return next((c for c in found if c.number.upper() == number), None)


def pdf_response(document: service.Document) -> Response:
    """A PDF the browser shows inline and saves under the document's number."""
    return Response(document.content, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{document.filename}"'})


def _detail_context(session: DbSession, user: User, invoice: Invoice) -> dict[str, object]:
    notes = service.list_credit_notes(session, user.tenant_id, PageParams(limit=200),
                                      invoice_id=invoice.id).items
    return {"current_user": user, "invoice": invoice,
            "customer": customers_service.get_customer(session, user.tenant_id,
                                                       invoice.customer_id),
            "applied": service.payments_applied(session, user.tenant_id, invoice.id),
            "credit_notes": notes, "creditable": invoice.total - invoice.amount_credited}


@router.get("/invoices/{invoice_id}", response_class=HTMLResponse)
def invoice_detail(request: Request, invoice_id: uuid.UUID, session: DbSession,
                   user: User = page_permission(P.BILLING_READ)) -> HTMLResponse:
    invoice = service.get_invoice(session, user.tenant_id, invoice_id)
    return render(request, "billing/invoice.html", _detail_context(session, user, invoice))


@router.get("/invoices/{invoice_id}/pdf")
def invoice_pdf(invoice_id: uuid.UUID, session: DbSession,
                user: User = page_permission(P.BILLING_READ)) -> Response:
    return pdf_response(service.invoice_document(session, user.tenant_id, invoice_id))


@router.post("/invoices/{invoice_id}/issue")
async def issue_invoice(request: Request, invoice_id: uuid.UUID, session: DbSession,
                        user: User = page_permission(P.BILLING_WRITE)) -> Response:
    await verify_csrf(request)
    invoice = service.issue_invoice(session, user.tenant_id, invoice_id)
    flash(request, f"Invoice {invoice.number} issued, due {invoice.due_date}.")
    return RedirectResponse(f"/admin/invoices/{invoice_id}", status_code=303)


def _credit_amount(raw: str) -> Decimal | None:
    """The amount typed in the credit-note form; empty means everything still creditable."""
    raw = raw.strip().replace(",", "")
    if not raw:
        return None
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise ValueError("amount: a number such as 12.50") from None
    if not amount.is_finite() or amount <= 0:
        raise ValueError("amount: a positive number such as 12.50")
    if round_money(amount) != amount:
        raise ValueError("amount: at most two decimal places")
    return amount

CREDIT_LABELS = {"amount": "Amount", "reason": "Reason"}


@router.post("/invoices/{invoice_id}/credit", response_class=HTMLResponse)
async def credit_invoice(request: Request, invoice_id: uuid.UUID, session: DbSession,
                         user: User = page_permission(P.BILLING_WRITE)) -> Response:
    """First post shows a confirmation; the post with confirmed=1 issues the credit note."""
    form = await verify_csrf(request)
    invoice = service.get_invoice(session, user.tenant_id, invoice_id)
    reason = str(form.get("reason", "")).strip()[:500]
    raw_amount = str(form.get("amount", ""))
    errors = FormErrors(CREDIT_LABELS)
    amount: Decimal | None = None
    try:
        amount = _credit_amount(raw_amount)
    except ValueError as exc:
        errors.add("amount", str(exc).removeprefix("amount: "))
    creditable = invoice.total - invoice.amount_credited
    if invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID):
        errors.add(None, f"a {invoice.status} invoice cannot be credited")
    elif amount is not None and amount > creditable:
        errors.add("amount", f"at most {creditable:.2f} {invoice.currency} can be credited")
    if not reason:
        errors.add("reason", "say why; it is printed on the credit note")
    context = {**_detail_context(session, user, invoice),
               "credit_form": {"amount": raw_amount, "reason": reason}}
    if errors:
        return render(request, "billing/invoice.html", {**context, "errors": errors},
                      status_code=422)
    if form.get("confirmed") != "1":
        shown = amount if amount is not None else creditable
        return render(request, "billing/credit_confirm.html", {**context, "amount": shown})
    try:
        note = all_or_nothing(session, lambda: service.credit_invoice(
            session, user.tenant_id, invoice_id, amount=amount, reason=reason))
    except AppError as exc:
        errors.refusal(exc)
        return render(request, "billing/invoice.html", {**context, "errors": errors},
                      status_code=exc.status_code)
    flash(request, f"Credit note {note.number} for {note.total} {note.currency} issued.")
    return RedirectResponse(f"/admin/invoices/{invoice_id}", status_code=303)
