"""Staff pages for money in: record a payment (a double submit records once), payment detail
with its receipt, the customer statement, and the billing run history with "run now"."""

from __future__ import annotations

import re
import uuid
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import service
from dotmac_isp.modules.billing.enums import PaymentMethod
from dotmac_isp.modules.billing.payments import PaymentInput
from dotmac_isp.modules.billing.web import find_customer, pdf_response
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.identity.deps import DbSession, get_database, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.errors import AppError
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/admin", include_in_schema=False)
P = Permission
METHODS = [m.value for m in PaymentMethod]
FIELDS = ("customer", "method", "amount", "received_on", "reference", "card_brand",
          "card_last4", "notes", "idempotency_key")


def _payment_form(request: Request, user: User, form: dict[str, Any],
                  errors: list[str] | None = None, status_code: int = 200) -> HTMLResponse:
    return render(request, "billing/payment_new.html", {
        "current_user": user, "form": form, "methods": METHODS, "errors": errors or []},
        status_code=status_code)


@router.get("/payments", response_class=HTMLResponse)
def payment_list(request: Request, session: DbSession, offset: int = 0,
                 user: User = page_permission(P.BILLING_READ)) -> HTMLResponse:
    page = service.list_payments(session, user.tenant_id, PageParams(limit=25,
                                                                     offset=max(offset, 0)))
    customers = customers_service.customers_by_id(
        session, user.tenant_id, list({p.customer_id for p in page.items}))
    return render(request, "billing/payments.html", {
        "current_user": user, "page": page, "customers": customers, "params": {}})


@router.get("/payments/new", response_class=HTMLResponse)
def new_payment_page(request: Request, session: DbSession, customer_id: str = "",
                     user: User = page_permission(P.BILLING_WRITE)) -> HTMLResponse:
    customer = find_customer(session, user.tenant_id, customer_id[:64])
    return _payment_form(request, user, {
        "customer": customer.number if customer else "", "method": "cash",
        "received_on": service.tenant_today(session, user.tenant_id).isoformat(),
        "idempotency_key": uuid.uuid4().hex})


def _parse(session: Session, user: User, form: dict[str, Any]
           ) -> tuple[PaymentInput | None, list[str]]:
    errors: list[str] = []
    customer = find_customer(session, user.tenant_id, form["customer"][:64])
    if customer is None:
        errors.append("customer: no customer with this number")
    method = form["method"] if form["method"] in METHODS else None
    if method is None:
        errors.append("method: choose how the customer paid")
    amount: Decimal | None = None
    try:
        amount = Decimal(form["amount"].replace(",", ""))
        if not amount.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        errors.append("amount: a number such as 49.99")
    received_on: date | None = None
    try:
        received_on = date.fromisoformat(form["received_on"])
    except ValueError:
        errors.append("received on: a date as YYYY-MM-DD")
    key = form["idempotency_key"]
    if not re.fullmatch(r"[A-Za-z0-9_-]{8,64}", key):
        errors.append("the form is incomplete; reload the page and try again")
    if errors or customer is None or method is None or amount is None or received_on is None:
        return None, errors
    card = method == PaymentMethod.CARD
    return PaymentInput(customer_id=customer.id, method=PaymentMethod(method), amount=amount,
                        currency=customer.currency, received_on=received_on,
                        reference=form["reference"][:100], idempotency_key=f"web:{key}",
                        card_brand=form["card_brand"][:20] if card else "",
                        card_last4=form["card_last4"] if card else "",
                        notes=form["notes"][:2000]), []


@router.post("/payments/new", response_class=HTMLResponse)
async def record_payment(request: Request, session: DbSession,
                         user: User = page_permission(P.BILLING_WRITE)) -> Response:
    raw = await verify_csrf(request)
    form = {k: str(raw.get(k, "")).strip() for k in FIELDS}
    data, errors = _parse(session, user, form)
    if data is None:
        return _payment_form(request, user, form, errors, status_code=422)
    try:
        payment, created = service.receive_payment_once(session, user.tenant_id, data)
    except AppError as exc:
        return _payment_form(request, user, form, [exc.detail], status_code=exc.status_code)
    if created:
        flash(request, f"Payment {payment.number} of {payment.amount:.2f} {payment.currency} "
                       f"recorded.")
    else:
        flash(request, f"Payment {payment.number} was already recorded; nothing was added.")
    return RedirectResponse(f"/admin/payments/{payment.id}", status_code=303)


@router.get("/payments/{payment_id}", response_class=HTMLResponse)
def payment_detail(request: Request, payment_id: uuid.UUID, session: DbSession,
                   user: User = page_permission(P.BILLING_READ)) -> HTMLResponse:
    payment = service.get_payment(session, user.tenant_id, payment_id)
    return render(request, "billing/payment.html", {
        "current_user": user, "payment": payment,
        "customer": customers_service.get_customer(session, user.tenant_id,
                                                   payment.customer_id),
        "receipt": service.receipt_of(session, user.tenant_id, payment.id),
        "allocations": service.allocations_of_payment(session, user.tenant_id, payment.id)})


@router.get("/payments/{payment_id}/receipt.pdf")
def receipt_pdf(payment_id: uuid.UUID, session: DbSession,
                user: User = page_permission(P.BILLING_READ)) -> Response:
    return pdf_response(service.receipt_document(session, user.tenant_id, payment_id))


@router.get("/customers/{customer_id}/statement", response_class=HTMLResponse)
def customer_statement(request: Request, customer_id: uuid.UUID, session: DbSession,
                       user: User = page_permission(P.BILLING_READ)) -> HTMLResponse:
    return render(request, "billing/statement.html", {
        "current_user": user,
        "customer": customers_service.get_customer(session, user.tenant_id, customer_id),
        "statement": service.statement(session, user.tenant_id, customer_id)})


@router.get("/billing/runs", response_class=HTMLResponse)
def run_history(request: Request, session: DbSession, offset: int = 0,
                user: User = page_permission(P.BILLING_READ)) -> HTMLResponse:
    page = service.list_runs(session, user.tenant_id, PageParams(limit=25,
                                                                 offset=max(offset, 0)))
    return render(request, "billing/runs.html", {"current_user": user, "page": page,
                                                 "params": {}})


@router.post("/billing/runs")
async def run_now(request: Request, background: BackgroundTasks,
                  database: Annotated[Database, Depends(get_database)],
                  user: User = page_permission(P.BILLING_WRITE)) -> Response:
    """Start the recurring run for the tenant's today. It opens its own transactions, so it
    starts after this request's transaction has ended (a held write lock would block it)."""
    await verify_csrf(request)
    background.add_task(service.run_now, database, user.tenant_id)
    flash(request, "Billing run started; it appears below with its counts when it finishes.")
    return RedirectResponse("/admin/billing/runs", status_code=303)
