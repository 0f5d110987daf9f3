"""Staff invoice list: figures, sorting, URL filters, page sizes and CSV export."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from sqlalchemy import Select
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import listing, service
from dotmac_isp.modules.billing.enums import InvoiceStatus
from dotmac_isp.modules.billing.models import Invoice
from dotmac_isp.modules.billing.web import find_customer
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.identity.deps import DbSession, get_database, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.list_pages import keyset_page
from dotmac_isp.shared.listing import EXPORT_CHUNK, ordered, stream_rows
from dotmac_isp.web.lists import ListState, ListView, csv_lines, csv_response, read_state
from dotmac_isp.web.templating import render

router = APIRouter(prefix="/admin/invoices", include_in_schema=False)
P = Permission
STATUSES = [s.value for s in InvoiceStatus]
VIEW = ListView(base="/admin/invoices", default_sort="-created",
                filters=("status", "overdue", "customer_id"),
                columns={"number": "Number", "status": "Status", "issued": "Issued",
                         "due": "Due", "total": "Total", "created": "Created"})


def _filters(session: Session, user: User, state: ListState) -> dict[str, Any]:
    f = state.filters
    customer = find_customer(session, user.tenant_id, f["customer_id"][:64])
    return {"status": f["status"] if f["status"] in STATUSES else None,
            "overdue": f["overdue"] == "1", "customer_id": customer.id if customer else None,
            "customer": customer}


def _filtered(session: Session, user: User, state: ListState) -> Select[Any]:
    chosen = _filters(session, user, state)
    chosen.pop("customer")
    return listing.invoice_query(session, user.tenant_id, **chosen)


def _query(session: Session, user: User, state: ListState) -> Select[Any]:
    return ordered(_filtered(session, user, state), listing.SORTS, state.sort, listing.TIE)


@router.get("", response_class=HTMLResponse)
def invoice_list(request: Request, session: DbSession,
                 user: User = page_permission(P.BILLING_READ)) -> HTMLResponse:
    state = read_state(request, VIEW)
    chosen = _filters(session, user, state)
    customer = chosen.pop("customer")
    page = keyset_page(session, _filtered(session, user, state),
                       key=listing.SORTS[state.sort.key], tie=listing.TIE, order=state.sort,
                       limit=state.size, cursor=state.cursor)
    figures = service.invoice_figures(session, user.tenant_id, **chosen)
    page = page.model_copy(update={"total": sum(f.count for f in figures)})  # counted anyway
    customers = customers_service.customers_by_id(
        session, user.tenant_id, list({i.customer_id for i in page.items}))
    return render(request, "billing/invoices.html", {
        "current_user": user, "page": page, "figures": figures, "customers": customers,
        "status": chosen["status"] or "", "overdue": chosen["overdue"], "statuses": STATUSES,
        "customer": customer, "state": state})


def _with_customers(reader: Session, user: User,
                    invoices: Iterable[Invoice]) -> Iterator[tuple[Invoice, Customer | None]]:
    rows = iter(invoices)
    while chunk := list(islice(rows, EXPORT_CHUNK)):
        people = customers_service.customers_by_id(reader, user.tenant_id,
                                                   list({i.customer_id for i in chunk}))
        for invoice in chunk:
            yield invoice, people.get(invoice.customer_id)


@router.get("/export.csv", response_class=StreamingResponse)
def export_list(request: Request, session: DbSession,
                db: Annotated[Database, Depends(get_database)],
                user: User = page_permission(P.BILLING_READ)) -> StreamingResponse:
    """Every invoice the list's filters show, in its order, streamed as it is read."""
    stmt = _query(session, user, read_state(request, VIEW))

    def lines() -> Iterator[str]:
        with db.unit_of_work(write=False) as reader:
            rows = _with_customers(reader, user, stream_rows(reader, stmt))
            yield from csv_lines(listing.CSV_HEADER, rows, lambda r: listing.csv_cells(*r))

    return csv_response(lines(), "invoices.csv")
