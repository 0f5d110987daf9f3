"""Staff pages for money in: record a payment (a double submit records once), payment detail
with its receipt, the customer statement, and the billing run history with "run now"."""

from __future__ import annotations

import re
import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import service
from dotmac_isp.modules.billing.enums import PaymentMethod
from dotmac_isp.modules.billing.gateways import service as gateways_service
from dotmac_isp.modules.billing.payments import PaymentInput
from dotmac_isp.modules.billing.web import find_customer, pdf_response
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.identity.deps import (
    AppSettings,
    DbSession,
    get_database,
    page_permission,
)
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.errors import AppError
from dotmac_isp.shared.money import parse_amount
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.web.forms import FormErrors, all_or_nothing
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/admin", include_in_schema=False)
P = Permission
METHODS = [m.value for m in PaymentMethod if m != PaymentMethod.ONLINE]  # online: gateways
FIELDS = ("customer", "method", "amount", "received_on", "reference", "card_brand",
          "card_last4", "notes", "idempotency_key")
PAYMENT_LABELS = {"customer": "Customer number", "method": "Method", "amount": "Amount",
                  "received_on": "Received on", "reference": "Reference",
                  "card_brand": "Card brand", "card_last4": "Last four digits",
                  "notes": "Notes", "invoice_ids": "Invoices"}
# The payment page has two forms; their fields are told apart by the form they belong to.
ACTION_LABELS = {"void_reason": "Reason", "refund_amount": "Amount", "refund_reason": "Reason"}


def _payment_form(request: Request, session: Session, user: User, form: dict[str, Any],
                  errors: FormErrors | None = None, status_code: int = 200) -> HTMLResponse:
    customer = find_customer(session, user.tenant_id, str(form.get("customer", ""))[:64])
    open_ = (service.open_invoices_of(session, user.tenant_id, customer.id)
             if customer is not None else [])
    return render(request, "billing/payment_new.html", {
        "current_user": user, "form": form, "methods": METHODS, "errors": errors or [],
        "customer": customer, "open_invoices": open_,
        "chosen": set(form.get("invoice_ids") or [])}, status_code=status_code)


def _invoice_ids(values: list[str], errors: FormErrors) -> list[uuid.UUID]:
    ids: list[uuid.UUID] = []
    for value in values[:50]:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            errors.add("invoice_ids", "reload the page and choose the invoices again")
            return []
    return ids


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
    return _payment_form(request, session, user, {
        "customer": customer.number if customer else "", "method": "cash",
        "received_on": service.tenant_today(session, user.tenant_id).isoformat(),
        "idempotency_key": uuid.uuid4().hex})


def _parse(session: Session, user: User, form: dict[str, Any]
           ) -> tuple[PaymentInput | None, FormErrors]:
    errors = FormErrors(PAYMENT_LABELS)
    customer = find_customer(session, user.tenant_id, form["customer"][:64])
    if customer is None:
        errors.add("customer", "no customer with this number")
    method = form["method"] if form["method"] in METHODS else None
    if method is None:
        errors.add("method", "choose how the customer paid")
    amount: Decimal | None = None
    try:
        amount = parse_amount(form["amount"], currency=customer.currency if customer else None)
    except ValueError as exc:
        errors.add("amount", str(exc))
    received_on: date | None = None
    try:
        received_on = date.fromisoformat(form["received_on"])
    except ValueError:
        errors.add("received_on", "a date as YYYY-MM-DD")
    key = form["idempotency_key"]
    if not re.fullmatch(r"[A-Za-z0-9_-]{8,64}", key):
        errors.add(None, "the form is incomplete; reload the page and try again")
    invoice_ids = _invoice_ids(form["invoice_ids"], errors)
    if errors or customer is None or method is None or amount is None or received_on is None:
        return None, errors
    card = method == PaymentMethod.CARD
    return PaymentInput(customer_id=customer.id, method=PaymentMethod(method), amount=amount,
                        currency=customer.currency, received_on=received_on,
                        reference=form["reference"][:100], idempotency_key=f"web:{key}",
                        card_brand=form["card_brand"][:20] if card else "",
                        card_last4=form["card_last4"] if card else "",
                        notes=form["notes"][:2000], invoice_ids=invoice_ids), errors


@router.post("/payments/new", response_class=HTMLResponse)
async def record_payment(request: Request, session: DbSession,
                         user: User = page_permission(P.BILLING_WRITE)) -> Response:
    raw = await verify_csrf(request)
    form: dict[str, Any] = {k: str(raw.get(k, "")).strip() for k in FIELDS}
    form["invoice_ids"] = [str(v) for v in (await request.form()).getlist("invoice_ids")]
    data, errors = _parse(session, user, form)
    if data is None:
        return _payment_form(request, session, user, form, errors, status_code=422)
    ceiling = service.payment_confirm_above(session, user.tenant_id)
    if ceiling is not None and data.amount > ceiling and raw.get("confirmed") != "1":
        return render(request, "billing/payment_confirm.html", {
            "current_user": user, "form": form, "amount": data.amount, "ceiling": ceiling,
            "currency": data.currency,
            "customer": customers_service.get_customer(session, user.tenant_id,
                                                       data.customer_id)})
    try:
        payment, created = service.receive_payment_once(session, user.tenant_id, data)
    except AppError as exc:
        errors.refusal(exc)
        return _payment_form(request, session, user, form, errors,
                             status_code=exc.status_code)
    if created:
        flash(request, f"Payment {payment.number} of {payment.amount:.2f} {payment.currency} "
                       f"recorded.")
    else:
        flash(request, f"Payment {payment.number} was already recorded; nothing was added.")
    return RedirectResponse(f"/admin/payments/{payment.id}", status_code=303)


def _detail(request: Request, session: Session, user: User, payment_id: uuid.UUID, *,
            errors: FormErrors | None = None, action_form: dict[str, str] | None = None,
            status_code: int = 200) -> HTMLResponse:
    payment = service.get_payment(session, user.tenant_id, payment_id)
    return render(request, "billing/payment.html", {
        "current_user": user, "payment": payment,
        "customer": customers_service.get_customer(session, user.tenant_id,
                                                   payment.customer_id),
        "receipt": service.receipt_of(session, user.tenant_id, payment.id),
        "allocations": service.allocations_of_payment(session, user.tenant_id, payment.id),
        "errors": errors or [], "action_form": action_form or {}}, status_code=status_code)


@router.get("/payments/{payment_id}", response_class=HTMLResponse)
def payment_detail(request: Request, payment_id: uuid.UUID, session: DbSession,
                   user: User = page_permission(P.BILLING_READ)) -> HTMLResponse:
    return _detail(request, session, user, payment_id)


@router.post("/payments/{payment_id}/void", response_class=HTMLResponse)
async def void_payment(request: Request, payment_id: uuid.UUID, session: DbSession,
                       user: User = page_permission(P.BILLING_WRITE)) -> Response:
    """Void a payment recorded by mistake; the invoices it paid are open again."""
    form = await verify_csrf(request)
    reason = str(form.get("reason", "")).strip()[:500]
    try:
        payment = service.void_payment(session, user.tenant_id, payment_id, reason)
    except AppError as exc:
        if exc.status_code == 404:
            raise
        errors = FormErrors(ACTION_LABELS)
        errors.add("void_reason" if not reason else None, exc.detail)
        return _detail(request, session, user, payment_id, errors=errors,
                       action_form={"void_reason": reason}, status_code=exc.status_code)
    flash(request, f"Payment {payment.number} voided; the invoices it paid are open again.")
    return RedirectResponse(f"/admin/payments/{payment_id}", status_code=303)


@router.post("/payments/{payment_id}/refund", response_class=HTMLResponse)
async def refund_payment(request: Request, payment_id: uuid.UUID, session: DbSession,
                         settings: AppSettings,
                         user: User = page_permission(P.BILLING_WRITE)) -> Response:
    """Pay back credit of a payment, with the same checks as the API; a payment taken
    online is paid back to the card through the gateway too."""
    form = await verify_csrf(request)
    raw_amount = str(form.get("amount", "")).strip()[:40]
    reason = str(form.get("reason", "")).strip()[:500]
    payment = service.get_payment(session, user.tenant_id, payment_id)
    errors = FormErrors(ACTION_LABELS)
    amount: Decimal | None = None
    try:
        amount = parse_amount(raw_amount, currency=payment.currency)
    except ValueError as exc:
        errors.add("refund_amount", str(exc))
    if amount is not None and amount > payment.unallocated:  # said with the reason's error
        errors.add("refund_amount", f"only {payment.unallocated} {payment.currency} of payment "
                                    f"{payment.number} is unallocated and can be refunded")
    if not reason:
        errors.add("refund_reason", "say why the money is paid back")
    if amount is not None and not errors:
        try:
            # a gateway that refuses leaves the ledger as it was
            refund = all_or_nothing(session, lambda: gateways_service.refund_payment(
                session, settings, user.tenant_id, payment_id, amount, reason))
        except AppError as exc:
            errors.add("refund_amount" if exc.extra.get("field") == "amount" else None,
                       exc.detail)
        else:
            flash(request, f"Refund {refund.number} of {refund.amount:.2f} {refund.currency} "
                           f"recorded.")
            return RedirectResponse(f"/admin/payments/{payment_id}", status_code=303)
    return _detail(request, session, user, payment_id, errors=errors, status_code=422,
                   action_form={"amount": raw_amount, "refund_reason": reason})


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
