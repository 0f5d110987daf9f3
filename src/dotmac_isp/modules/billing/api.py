"""Billing JSON API: settings, tax rates, invoices, credit notes, payments, statements, runs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Request, Response

from dotmac_isp.modules.billing import (
    company,
    ledger,
    opening,
    pdf,
    run,
    schemas,
    service,
    setup,
)
from dotmac_isp.modules.billing.enums import InvoiceStatus
from dotmac_isp.modules.billing.gateways import service as gateways_service
from dotmac_isp.modules.billing.invoices import LineInput
from dotmac_isp.modules.billing.models import (
    BillingAccount,
    BillingRun,
    BillingSettings,
    CreditNote,
    Invoice,
    Payment,
    Refund,
    TaxRate,
)
from dotmac_isp.modules.billing.payments import (
    PaymentInput,
    allocations_of,
    receipt_numbers,
    receipt_of,
)
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.identity.deps import AppSettings, DbSession, get_database, require
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.identity.principal import Principal
from dotmac_isp.shared.csv_import import ImportReport, read_upload
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.errors import ValidationFailed
from dotmac_isp.shared.pagination import Page, PageParams, page_params

router = APIRouter()
Paging = Annotated[PageParams, Depends(page_params)]
P = Permission
PDF: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}}}


def _pdf(content: bytes, filename: str) -> Response:
    return Response(content, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})


# Settings and tax rates ----------------------------------------------------------------

@router.get("/billing/settings", response_model=schemas.SettingsOut, tags=["billing"])
def get_settings(session: DbSession,
                 principal: Principal = require(P.BILLING_READ)) -> BillingSettings:
    return setup.billing_settings(session, principal.tenant_id)


@router.patch("/billing/settings", response_model=schemas.SettingsOut, tags=["billing"])
def update_settings(body: schemas.SettingsUpdate, session: DbSession,
                    principal: Principal = require(P.BILLING_WRITE)) -> BillingSettings:
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    if body.dunning is not None:
        changes["dunning"] = body.dunning.stored()
    for key in ("mode", "number_reset"):
        if changes.get(key) is not None:
            changes[key] = str(changes[key])
    return setup.update_settings(session, principal.tenant_id, changes)


@router.get("/billing/tax-rates", response_model=Page[schemas.TaxRateOut], tags=["billing"])
def list_tax_rates(session: DbSession, paging: Paging,
                   principal: Principal = require(P.BILLING_READ)) -> Page[TaxRate]:
    return setup.list_tax_rates(session, principal.tenant_id, paging)


@router.post("/billing/tax-rates", response_model=schemas.TaxRateOut, status_code=201,
             tags=["billing"])
def create_tax_rate(body: schemas.TaxRateIn, session: DbSession,
                    principal: Principal = require(P.BILLING_WRITE)) -> TaxRate:
    rate = setup.create_tax_rate(session, principal.tenant_id, body.name, body.rate,
                                 body.compound, body.position)
    return setup.update_tax_rate(session, principal.tenant_id, rate.id, {
        "category_code": body.category_code, "exemption_reason": body.exemption_reason})


@router.get("/billing/tax-rates/{rate_id}", response_model=schemas.TaxRateOut, tags=["billing"])
def get_tax_rate(rate_id: uuid.UUID, session: DbSession,
                 principal: Principal = require(P.BILLING_READ)) -> TaxRate:
    return setup.get_tax_rate(session, principal.tenant_id, rate_id)


@router.patch("/billing/tax-rates/{rate_id}", response_model=schemas.TaxRateOut,
              tags=["billing"])
def update_tax_rate(rate_id: uuid.UUID, body: schemas.TaxRateUpdate, session: DbSession,
                    principal: Principal = require(P.BILLING_WRITE)) -> TaxRate:
    """Applies to documents from now on; issued ones keep the rate they were issued with."""
    return setup.update_tax_rate(session, principal.tenant_id, rate_id,
                                 body.model_dump(exclude_unset=True))


# Invoices and credit notes -------------------------------------------------------------

@router.get("/invoices", response_model=Page[schemas.InvoiceOut], tags=["invoices"])
def list_invoices(session: DbSession, paging: Paging, customer_id: uuid.UUID | None = None,
                  status: InvoiceStatus | None = None,
                  principal: Principal = require(P.BILLING_READ)) -> Page[Invoice]:
    return service.list_invoices(session, principal.tenant_id, paging,
                                 customer_id=customer_id, status=status)


@router.post("/invoices", response_model=schemas.InvoiceDetail, status_code=201,
             tags=["invoices"])
def create_invoice(body: schemas.InvoiceCreate, session: DbSession,
                   principal: Principal = require(P.BILLING_WRITE)) -> Invoice:
    """A one-off invoice (equipment, installation, usage...), issued at once by default."""
    lines = [LineInput(kind=ln.kind, description=ln.description, unit_price=ln.unit_price,
                       quantity=ln.quantity) for ln in body.lines]
    return service.create_invoice(session, principal.tenant_id, body.customer_id, lines,
                                  issue_now=body.issue)


@router.get("/invoices/{invoice_id}", response_model=schemas.InvoiceDetail, tags=["invoices"])
def get_invoice(invoice_id: uuid.UUID, session: DbSession,
                principal: Principal = require(P.BILLING_READ)) -> Invoice:
    return service.get_invoice(session, principal.tenant_id, invoice_id)


@router.get("/invoices/{invoice_id}/pdf", response_class=Response, responses=PDF,
            tags=["invoices"])
def invoice_pdf(invoice_id: uuid.UUID, session: DbSession,
                principal: Principal = require(P.BILLING_READ)) -> Response:
    invoice = service.get_invoice(session, principal.tenant_id, invoice_id)
    customer = customers_service.get_customer(session, principal.tenant_id, invoice.customer_id)
    tenant = identity_service.get_tenant(session, principal.tenant_id)
    return _pdf(pdf.invoice_pdf(tenant, invoice, customer,
                                company.document_issuer(session, principal.tenant_id)),
                f"{invoice.number or 'draft-' + str(invoice.id)[:8]}.pdf")


@router.post("/invoices/{invoice_id}/issue", response_model=schemas.InvoiceDetail,
             tags=["invoices"])
def issue_invoice(invoice_id: uuid.UUID, session: DbSession,
                  principal: Principal = require(P.BILLING_WRITE)) -> Invoice:
    return service.issue_invoice(session, principal.tenant_id, invoice_id)


@router.delete("/invoices/{invoice_id}", status_code=204, tags=["invoices"])
def delete_draft(invoice_id: uuid.UUID, session: DbSession,
                 principal: Principal = require(P.BILLING_WRITE)) -> Response:
    """Drafts only: issued invoices are corrected with credit notes."""
    service.delete_draft(session, principal.tenant_id, invoice_id)
    return Response(status_code=204)


@router.post("/invoices/{invoice_id}/credit-notes", response_model=schemas.CreditNoteOut,
             status_code=201, tags=["invoices"])
def credit_invoice(invoice_id: uuid.UUID, body: schemas.CreditNoteIn, session: DbSession,
                   principal: Principal = require(P.BILLING_WRITE)) -> CreditNote:
    return service.credit_invoice(session, principal.tenant_id, invoice_id, amount=body.amount,
                                  reason=body.reason)


@router.get("/credit-notes", response_model=Page[schemas.CreditNoteOut], tags=["invoices"])
def list_credit_notes(session: DbSession, paging: Paging, invoice_id: uuid.UUID | None = None,
                      principal: Principal = require(P.BILLING_READ)) -> Page[CreditNote]:
    return service.list_credit_notes(session, principal.tenant_id, paging, invoice_id=invoice_id)


@router.get("/credit-notes/{note_id}", response_model=schemas.CreditNoteOut, tags=["invoices"])
def get_credit_note(note_id: uuid.UUID, session: DbSession,
                    principal: Principal = require(P.BILLING_READ)) -> CreditNote:
    return service.get_credit_note(session, principal.tenant_id, note_id)


# Payments ------------------------------------------------------------------------------

def _payments_out(session: DbSession, tenant_id: uuid.UUID,
                  rows: Sequence[Payment]) -> list[schemas.PaymentOut]:
    numbers = receipt_numbers(session, tenant_id, [p.id for p in rows])
    return [schemas.PaymentOut.model_validate(p).model_copy(
        update={"receipt_number": numbers.get(p.id)}) for p in rows]


@router.get("/payments", response_model=Page[schemas.PaymentOut], tags=["payments"])
def list_payments(session: DbSession, paging: Paging, customer_id: uuid.UUID | None = None,
                  principal: Principal = require(P.BILLING_READ)) -> Page[schemas.PaymentOut]:
    page = service.list_payments(session, principal.tenant_id, paging, customer_id=customer_id)
    return Page[schemas.PaymentOut](
        items=_payments_out(session, principal.tenant_id, page.items), total=page.total,
        limit=page.limit, offset=page.offset)


@router.post("/payments", response_model=schemas.PaymentOut, status_code=201,
             tags=["payments"])
def record_payment(body: schemas.PaymentIn, session: DbSession, response: Response,
                   idempotency_key: str | None = Header(None, max_length=100),
                   principal: Principal = require(P.BILLING_WRITE)) -> schemas.PaymentOut:
    """Record a payment; it is allocated to the oldest open invoices and any overpayment is
    kept as credit. Retrying with the same Idempotency-Key records it once (200, not 201),
    also when both requests arrive at the same moment; the key with another payment is 409."""
    key = body.idempotency_key or idempotency_key
    payment, created = service.receive_payment_once(session, principal.tenant_id, PaymentInput(
        customer_id=body.customer_id, method=body.method, amount=body.amount,
        currency=body.currency,
        received_on=body.received_on or service.tenant_today(session, principal.tenant_id),
        reference=body.reference, idempotency_key=key, gateway=body.gateway,
        card_brand=body.card_brand, card_last4=body.card_last4, notes=body.notes,
        invoice_ids=body.invoice_ids))
    if not created:
        response.status_code = 200
    return _payments_out(session, principal.tenant_id, [payment])[0]


@router.get("/payments/{payment_id}", response_model=schemas.PaymentOut, tags=["payments"])
def get_payment(payment_id: uuid.UUID, session: DbSession,
                principal: Principal = require(P.BILLING_READ)) -> schemas.PaymentOut:
    payment = service.get_payment(session, principal.tenant_id, payment_id)
    return _payments_out(session, principal.tenant_id, [payment])[0]


@router.get("/payments/{payment_id}/receipt", response_class=Response, responses=PDF,
            tags=["payments"])
def payment_receipt(payment_id: uuid.UUID, session: DbSession,
                    principal: Principal = require(P.BILLING_READ)) -> Response:
    """The payment's numbered receipt as a PDF."""
    payment = service.get_payment(session, principal.tenant_id, payment_id)
    receipt = receipt_of(session, principal.tenant_id, payment.id)
    customer = customers_service.get_customer(session, principal.tenant_id, payment.customer_id)
    tenant = identity_service.get_tenant(session, principal.tenant_id)
    applied = [(inv.number or "", alloc.amount)
               for alloc, inv in allocations_of(session, principal.tenant_id, payment.id)]
    return _pdf(pdf.receipt_pdf(tenant, receipt, payment, customer, applied,
                                company.document_issuer(session, principal.tenant_id)),
                f"{receipt.number}.pdf")


@router.post("/payments/{payment_id}/refunds", response_model=schemas.RefundOut,
             status_code=201, tags=["payments"])
def refund_payment(payment_id: uuid.UUID, body: schemas.RefundIn, session: DbSession,
                   settings: AppSettings,
                   principal: Principal = require(P.BILLING_WRITE)) -> Refund:
    """Pay back unallocated credit; a payment taken online goes back to the card too."""
    return gateways_service.refund_payment(session, settings, principal.tenant_id, payment_id,
                                           body.amount, body.reason)


@router.post("/payments/{payment_id}/void", response_model=schemas.PaymentOut,
             tags=["payments"])
def void_payment(payment_id: uuid.UUID, body: schemas.VoidIn, session: DbSession,
                 principal: Principal = require(P.BILLING_WRITE)) -> schemas.PaymentOut:
    """Void a payment recorded by mistake: the invoices it paid are open again; the payment
    stays listed, marked voided with the reason. A voided or refunded payment is 409."""
    payment = service.void_payment(session, principal.tenant_id, payment_id, body.reason)
    return _payments_out(session, principal.tenant_id, [payment])[0]


# Customer accounts, statements and runs ------------------------------------------------

@router.post("/opening-balances/import", response_model=ImportReport, tags=["billing"])
async def import_opening_balances(request: Request, session: DbSession, dry_run: bool = False,
                                  principal: Principal = require(P.BILLING_WRITE),
                                  ) -> ImportReport:
    """What customers owed (positive) or had in credit (negative) in the system the ISP moves
    from: a CSV (multipart field "file", or the body as text/csv) with customer, amount, as_of,
    reference. A debt becomes an issued invoice, a credit an unallocated payment; one per
    customer, and a reference imported before is reported as a duplicate."""
    text = await read_upload(request)
    return opening.import_opening_balances(session, principal.tenant_id, text,
                                           dry_run=dry_run)


@router.get("/customers/{customer_id}/statement", response_model=schemas.StatementOut,
            tags=["billing"])
def customer_statement(customer_id: uuid.UUID, session: DbSession,
                       principal: Principal = require(P.BILLING_READ)) -> schemas.StatementOut:
    """Every invoice, credit note, payment and refund with the running balance."""
    result = ledger.statement(session, principal.tenant_id, customer_id)
    return schemas.StatementOut(customer_id=result.customer_id, currency=result.currency,
                                balance=result.balance,
                                entries=[schemas.EntryOut(**vars(e)) for e in result.entries])


@router.get("/customers/{customer_id}/billing-account", response_model=schemas.AccountOut,
            tags=["billing"])
def get_billing_account(customer_id: uuid.UUID, session: DbSession,
                        principal: Principal = require(P.BILLING_READ)) -> Any:
    account = setup.account_for(session, principal.tenant_id, customer_id)
    if account is None:
        customers_service.get_customer(session, principal.tenant_id, customer_id)
        return schemas.AccountOut(customer_id=customer_id)
    return account


@router.put("/customers/{customer_id}/billing-account", response_model=schemas.AccountOut,
            tags=["billing"])
def update_billing_account(customer_id: uuid.UUID, body: schemas.AccountIn, session: DbSession,
                           principal: Principal = require(P.BILLING_WRITE)) -> BillingAccount:
    if body.anniversary and body.billing_day is not None:
        raise ValidationFailed("choose a billing day or anniversary billing, not both")
    return setup.update_account(session, principal.tenant_id, customer_id, body.model_dump())


@router.get("/billing/runs", response_model=Page[schemas.RunOut], tags=["billing"])
def list_runs(session: DbSession, paging: Paging,
              principal: Principal = require(P.BILLING_READ)) -> Page[BillingRun]:
    return service.list_runs(session, principal.tenant_id, paging)


@router.get("/billing/runs/{run_id}", response_model=schemas.RunOut, tags=["billing"])
def get_run(run_id: uuid.UUID, session: DbSession,
            principal: Principal = require(P.BILLING_READ)) -> BillingRun:
    return service.get_run(session, principal.tenant_id, run_id)


@router.post("/billing/runs", status_code=202, tags=["billing"])
def start_run(database: Annotated[Database, Depends(get_database)], tasks: BackgroundTasks,
              principal: Principal = require(P.BILLING_WRITE)) -> dict[str, str]:
    """Start recurring billing for today (it runs hourly anyway; repeating is harmless).
    It runs once this request's transaction is over; follow it in GET /billing/runs."""
    tenant_id = principal.tenant_id

    def go() -> None:
        with database.unit_of_work(write=False) as session:
            today = service.tenant_today(session, tenant_id)
        run.run(database, tenant_id, today)

    tasks.add_task(go)
    return {"status": "started"}


