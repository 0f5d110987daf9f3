"""Staff page for bank statements: upload a CSV with its column mapping, then match the
bookings nobody recognised to a customer or set them aside."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from dotmac_isp.modules.billing import bank
from dotmac_isp.modules.billing.bank_csv import MAX_BYTES, BadStatement, ColumnMapping
from dotmac_isp.modules.billing.enums import BankLineStatus
from dotmac_isp.modules.billing.web import find_customer
from dotmac_isp.modules.identity.deps import DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.shared.errors import AppError
from dotmac_isp.shared.money import is_currency_code
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/admin/billing/bank-lines", include_in_schema=False)
P = Permission
STATUSES = [s.value for s in BankLineStatus]
MAPPING_FIELDS = ("date_column", "amount_column", "reference_column", "date_format",
                  "currency_column", "currency", "delimiter")
DEFAULT_MAPPING = {"date_column": "Date", "amount_column": "Amount",
                   "reference_column": "Reference", "date_format": "%Y-%m-%d",
                   "currency_column": "", "currency": "", "delimiter": ","}


def _page(request: Request, session: DbSession, user: User, *, status: str = "unmatched",
          offset: int = 0, errors: list[str] | None = None,
          mapping: dict[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    chosen = status if status in STATUSES else ""
    page = bank.list_lines(session, user.tenant_id, PageParams(limit=50, offset=max(offset, 0)),
                           status=chosen or None)
    return render(request, "billing/bank_lines.html", {
        "current_user": user, "page": page, "status": chosen, "statuses": STATUSES,
        "errors": errors or [], "mapping": mapping or DEFAULT_MAPPING,
        "params": {"status": chosen}}, status_code=status_code)


@router.get("", response_class=HTMLResponse)
def bank_lines(request: Request, session: DbSession, status: str = "unmatched",
               offset: int = 0, user: User = page_permission(P.BILLING_READ)) -> HTMLResponse:
    return _page(request, session, user, status=status, offset=offset)


def _mapping(form: dict[str, Any]) -> tuple[dict[str, Any], ColumnMapping]:
    shown: dict[str, Any] = {k: str(form.get(k, "")).strip()[:100] for k in MAPPING_FIELDS}
    decimal_comma = form.get("decimal_comma") == "1"
    shown["decimal_comma"] = decimal_comma
    currency = shown["currency"].upper()
    if currency and not is_currency_code(currency):
        raise BadStatement("currency must be a three-letter code such as USD")
    return shown, ColumnMapping(
        date_column=shown["date_column"], amount_column=shown["amount_column"],
        reference_column=shown["reference_column"],
        date_format=shown["date_format"] or "%Y-%m-%d",
        currency_column=shown["currency_column"] or None, currency=currency or None,
        decimal_comma=decimal_comma, delimiter=shown["delimiter"] or ",")


@router.post("/import", response_class=HTMLResponse)
async def import_statement(request: Request, session: DbSession,
                           user: User = page_permission(P.BILLING_WRITE)) -> Response:
    form = await verify_csrf(request)
    shown: dict[str, Any] = {**DEFAULT_MAPPING,
                             **{k: str(form.get(k, ""))[:100] for k in MAPPING_FIELDS}}
    upload = form.get("statement")
    try:
        if not isinstance(upload, UploadFile):
            raise BadStatement("choose the statement file to upload")
        content = await upload.read(MAX_BYTES + 1)
        shown, mapping = _mapping(form)
        result = bank.import_statement(session, user.tenant_id, content, mapping)
    except AppError as exc:
        return _page(request, session, user, errors=[exc.detail], mapping=shown,
                     status_code=exc.status_code)
    flash(request, f"Statement imported: {result.lines} bookings, {result.matched} payments "
                   f"recorded, {result.unmatched} to match by hand, {result.ignored} ignored, "
                   f"{result.already_imported} imported before.")
    return RedirectResponse("/admin/billing/bank-lines", status_code=303)


@router.post("/{line_id}/match", response_class=HTMLResponse)
async def match_line(request: Request, line_id: uuid.UUID, session: DbSession,
                     user: User = page_permission(P.BILLING_WRITE)) -> Response:
    form = await verify_csrf(request)
    line = bank.get_line(session, user.tenant_id, line_id)
    customer = find_customer(session, user.tenant_id, str(form.get("customer", ""))[:64])
    try:
        if customer is None:
            raise BadStatement(f"line {line.line_number}: no customer with this number")
        bank.match_line(session, user.tenant_id, line_id, customer.id)
    except AppError as exc:
        return _page(request, session, user, errors=[exc.detail], status_code=exc.status_code)
    flash(request, f"{line.amount:.2f} {line.currency} of {line.booked_date} recorded as a "
                   f"payment from {customer.number}.")
    return RedirectResponse("/admin/billing/bank-lines", status_code=303)


@router.post("/{line_id}/ignore")
async def ignore_line(request: Request, line_id: uuid.UUID, session: DbSession,
                      user: User = page_permission(P.BILLING_WRITE)) -> Response:
    form = await verify_csrf(request)
    try:
        line = bank.ignore_line(session, user.tenant_id, line_id,
                                str(form.get("reason", ""))[:300])
    except AppError as exc:
        return _page(request, session, user, errors=[exc.detail], status_code=exc.status_code)
    flash(request, f"Booking of {line.booked_date} set aside.")
    return RedirectResponse("/admin/billing/bank-lines", status_code=303)
