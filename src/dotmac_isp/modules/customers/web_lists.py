"""Staff customer list: sorting, URL filters, page sizes, CSV export, and tagging in bulk."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from pydantic import ValidationError
from sqlalchemy import Select
from sqlalchemy.orm import Session

from dotmac_isp.modules.customers import listing
from dotmac_isp.modules.customers.enums import CustomerStatus
from dotmac_isp.modules.identity.deps import DbSession, get_database, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.list_pages import keyset_page
from dotmac_isp.shared.listing import ordered, stream_rows
from dotmac_isp.web.forms import FormErrors, form_errors
from dotmac_isp.web.lists import (
    ListState,
    ListView,
    back_to,
    chosen_ids,
    csv_lines,
    csv_response,
    read_state,
)
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/admin/customers", include_in_schema=False)
P = Permission
STATUSES = [s.value for s in CustomerStatus]
VIEW = ListView(base="/admin/customers", default_sort="number", filters=("q", "status", "tag"),
                columns={"number": "Number", "name": "Name", "email": "Email",
                         "status": "Status", "created": "Created"})
BULK_ACTIONS = [("tag", "Add a tag")]


def _filtered(session: Session, user: User, state: ListState) -> Select[Any]:
    f = state.filters
    return listing.customer_query(session, user.tenant_id, query=f["q"][:200] or None,
                                  status=f["status"] if f["status"] in STATUSES else None,
                                  tag=f["tag"][:40].lower() or None)


def _query(session: Session, user: User, state: ListState) -> Select[Any]:
    return ordered(_filtered(session, user, state), listing.SORTS, state.sort, listing.TIE)


@router.get("", response_class=HTMLResponse)
def customer_list(request: Request, session: DbSession,
                  user: User = page_permission(P.CUSTOMERS_READ)) -> HTMLResponse:
    state = read_state(request, VIEW)
    page = keyset_page(session, _filtered(session, user, state),
                       key=listing.SORTS[state.sort.key], tie=listing.TIE, order=state.sort,
                       limit=state.size, cursor=state.cursor)
    context = {"current_user": user, "page": page, "state": state, "statuses": STATUSES,
               "q": state.filters["q"], "status": state.filters["status"],
               "bulk_actions": BULK_ACTIONS,
               "can_bulk": request.state.principal.has(P.CUSTOMERS_WRITE)}
    name = "customers/_rows.html" if request.headers.get("hx-request") else "customers/list.html"
    return render(request, name, context)


@router.get("/export.csv", response_class=StreamingResponse)
def export_list(request: Request, session: DbSession,
                db: Annotated[Database, Depends(get_database)],
                user: User = page_permission(P.CUSTOMERS_READ)) -> StreamingResponse:
    """Every customer the list's filters show, in its order, streamed as it is read."""
    stmt = _query(session, user, read_state(request, VIEW))

    def lines() -> Iterator[str]:
        with db.unit_of_work(write=False) as reader:
            yield from csv_lines(listing.CSV_HEADER, stream_rows(reader, stmt),
                                 listing.csv_cells)

    return csv_response(lines(), "customers.csv")


BULK_LABELS = {"tag": "Tag to add", "tags": "Tag to add"}


def _confirm(request: Request, session: Session, user: User, ids: list[str],
             form: dict[str, str], errors: FormErrors | None = None,
             status_code: int = 200) -> HTMLResponse:
    found = listing.customers_among(session, user.tenant_id, chosen_ids(ids))
    rows = {str(c.id): f"{c.number} {c.display_name}" for c in found}
    return render(request, "bulk_confirm.html", {
        "current_user": user, "title": f"Tag {len(rows)} customers?", "label": "Tag",
        "noun": "customer", "nouns": "customers", "rows": rows, "action": "tag",
        "skipped": len(chosen_ids(ids)) - len(rows), "skip_reason": "not found",
        "action_url": "/admin/customers/bulk", "back": back_to(VIEW, form.get("back")),
        "fields": [{"name": "tag", "label": BULK_LABELS["tag"], "required": True,
                    "maxlength": 40}],
        "form": form, "errors": errors}, status_code=status_code)


@router.get("/bulk", response_class=HTMLResponse)
def bulk_confirm(request: Request, session: DbSession,
                 user: User = page_permission(P.CUSTOMERS_WRITE)) -> HTMLResponse:
    back = read_state(request, VIEW).url()
    return _confirm(request, session, user, request.query_params.getlist("ids"),
                    {"back": back})


@router.post("/bulk", response_class=HTMLResponse)
async def bulk_apply(request: Request, session: DbSession,
                     user: User = page_permission(P.CUSTOMERS_WRITE)) -> Response:
    await verify_csrf(request)
    form_data = await request.form()
    ids = [str(v) for v in form_data.getlist("ids")]
    form = {k: str(v) for k, v in form_data.items() if k != "ids"}
    tag = form.get("tag", "").strip()
    if not tag:
        errors = FormErrors(BULK_LABELS)
        errors.add("tag", "give the tag to add")
        return _confirm(request, session, user, ids, form, errors, 422)
    try:
        with session.begin_nested():  # all rows or none
            changed = listing.tag_customers(session, user.tenant_id, chosen_ids(ids), tag)
    except ValidationError as exc:
        return _confirm(request, session, user, ids, form, form_errors(exc, BULK_LABELS), 422)
    flash(request, f"Tagged {len(changed)} customers {tag.lower()!r}.")
    return RedirectResponse(back_to(VIEW, form.get("back")), status_code=303)
