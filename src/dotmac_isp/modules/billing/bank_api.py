"""Bank statement JSON API: import a CSV statement, list its lines, match or ignore them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from dotmac_isp.modules.billing import bank
from dotmac_isp.modules.billing.bank_csv import MAX_BYTES, BadStatement, ColumnMapping
from dotmac_isp.modules.billing.bank_models import BankStatementLine
from dotmac_isp.modules.billing.enums import BankLineStatus
from dotmac_isp.modules.identity.deps import DbSession, require
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.identity.principal import Principal
from dotmac_isp.shared.money import CurrencyCode, MoneyAmount
from dotmac_isp.shared.pagination import Page, PageParams, page_params

router = APIRouter(tags=["bank statements"])
Paging = Annotated[PageParams, Depends(page_params)]
P = Permission
Column = Annotated[str, Query(min_length=1, max_length=100)]


class ImportOut(BaseModel):
    import_id: uuid.UUID
    lines: int = Field(description="bookings in the file")
    matched: int = Field(description="payments recorded by this import")
    unmatched: int = Field(description="bookings left for manual matching")
    ignored: int = Field(description="money out, not a customer payment")
    already_imported: int = Field(description="bookings an earlier import already stored")


class BankLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    import_id: uuid.UUID
    line_number: int
    booked_date: date
    amount: MoneyAmount
    currency: str
    reference: str
    status: BankLineStatus
    matched_by: str
    note: str
    customer_id: uuid.UUID | None
    payment_id: uuid.UUID | None
    created_at: datetime


class MatchIn(BaseModel):
    customer_id: uuid.UUID


class IgnoreIn(BaseModel):
    reason: str = Field("", max_length=300)


@router.post("/bank-statements", response_model=ImportOut)
async def import_statement(
        request: Request, session: DbSession, date_column: Column, amount_column: Column,
        reference_column: Column,
        date_format: Annotated[str, Query(min_length=2, max_length=40)] = "%Y-%m-%d",
        currency_column: Annotated[str | None, Query(max_length=100)] = None,
        currency: CurrencyCode | None = None, decimal_comma: bool = False,
        delimiter: Annotated[str, Query(min_length=1, max_length=1)] = ",",
        principal: Principal = require(P.BILLING_WRITE)) -> ImportOut:
    """Import a bank statement (the request body, a CSV with a header line). Money received
    whose reference names an invoice or customer number becomes a bank-transfer payment; the
    rest is listed for manual matching. A file with a line that cannot be read stores nothing
    and the error names the line. Importing the same statement again records nothing new."""
    content = await request.body()
    if len(content) > MAX_BYTES:
        raise BadStatement(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    mapping = ColumnMapping(date_column=date_column, amount_column=amount_column,
                            reference_column=reference_column, date_format=date_format,
                            currency_column=currency_column or None, currency=currency,
                            decimal_comma=decimal_comma, delimiter=delimiter)
    result = bank.import_statement(session, principal.tenant_id, content, mapping)
    return ImportOut(**vars(result))


@router.get("/bank-lines", response_model=Page[BankLineOut])
def list_lines(session: DbSession, paging: Paging, status: BankLineStatus | None = None,
               import_id: uuid.UUID | None = None,
               principal: Principal = require(P.BILLING_READ)) -> Page[BankStatementLine]:
    return bank.list_lines(session, principal.tenant_id, paging, status=status,
                           import_id=import_id)


@router.get("/bank-lines/{bank_line_id}", response_model=BankLineOut)
def get_line(bank_line_id: uuid.UUID, session: DbSession,
             principal: Principal = require(P.BILLING_READ)) -> BankStatementLine:
    return bank.get_line(session, principal.tenant_id, bank_line_id)


@router.post("/bank-lines/{bank_line_id}/match", response_model=BankLineOut)
def match_line(bank_line_id: uuid.UUID, body: MatchIn, session: DbSession,
               principal: Principal = require(P.BILLING_WRITE)) -> BankStatementLine:
    """Name the customer who sent this money; records the bank-transfer payment."""
    return bank.match_line(session, principal.tenant_id, bank_line_id, body.customer_id)


@router.post("/bank-lines/{bank_line_id}/ignore", response_model=BankLineOut)
def ignore_line(bank_line_id: uuid.UUID, session: DbSession, body: IgnoreIn | None = None,
                principal: Principal = require(P.BILLING_WRITE)) -> BankStatementLine:
    """Set this booking aside: it is no customer payment."""
    return bank.ignore_line(session, principal.tenant_id, bank_line_id,
                            body.reason if body else "")
