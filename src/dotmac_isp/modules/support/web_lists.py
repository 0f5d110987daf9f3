"""Staff ticket queue: sorting, URL filters, page sizes, CSV export, and assigning many
tickets after one confirmation."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy import Select
from sqlalchemy.orm import Session

from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.identity.deps import DbSession, get_database, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.support import listing
from dotmac_isp.modules.support.enums import ACTIVE, SlaState, TicketStatus
from dotmac_isp.modules.support.models import Ticket
from dotmac_isp.modules.support.presenters import page_helpers
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.enums import Priority
from dotmac_isp.shared.errors import AppError
from dotmac_isp.shared.list_pages import keyset_page
from dotmac_isp.shared.listing import EXPORT_CHUNK, ordered, stream_rows
from dotmac_isp.shared.pagination import Page, PageParams
from dotmac_isp.web.forms import FormErrors
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

router = APIRouter(prefix="/admin/support/tickets", include_in_schema=False)
P = Permission
STATUSES = [s.value for s in TicketStatus]
PRIORITIES = [p.value for p in Priority]
SLA_FILTERS = (SlaState.AT_RISK, SlaState.BREACHED, SlaState.PAUSED)
VIEW = ListView(base="/admin/support/tickets", default_sort="-created",
                filters=("q", "status", "priority", "assignee", "sla"),
                defaults={"status": "active"},
                columns={"number": "Ticket", "subject": "Subject", "priority": "Priority",
                         "status": "Status", "created": "Opened"})
BULK_ACTIONS = [("assign", "Assign to…")]


def _filters(user: User, state: ListState) -> dict[str, Any]:
    f = state.filters
    status = f["status"]
    return {"query": f["q"] or None,
            "status": [s.value for s in ACTIVE] if status == "active"
            else [status] if status in STATUSES else None,
            "priority": f["priority"] if f["priority"] in PRIORITIES else None,
            "assignee_id": user.id if f["assignee"] == "me" else None,
            "unassigned": f["assignee"] == "none",
            "sla": f["sla"] if f["sla"] in SLA_FILTERS else None}


def _query(session: Session, user: User, state: ListState) -> Select[Any]:
    stmt = listing.ticket_query(session, user.tenant_id, **_filters(user, state))
    return ordered(stmt, listing.SORTS, state.sort, listing.TIE)


def _page(session: Session, user: User, state: ListState) -> Page[Any]:
    walk = listing.PRIORITY_WALK if state.sort.key == "priority" else None
    return keyset_page(session, listing.ticket_query(session, user.tenant_id,
                                                     **_filters(user, state)),
                       key=listing.SORTS[state.sort.key], tie=listing.TIE, order=state.sort,
                       limit=state.size, cursor=state.cursor, walk=walk)


def _people(session: Session, tenant_id: uuid.UUID, tickets: list[Ticket]) -> dict[str, Any]:
    customers = customers_service.customers_by_id(session, tenant_id,
                                                  list({t.customer_id for t in tickets}))
    staff = {i: identity_service.get_user(session, tenant_id, i)
             for i in {t.assignee_id for t in tickets if t.assignee_id}}
    return {"customers": customers, "staff": staff}


@router.get("", response_class=HTMLResponse)
def queue(request: Request, session: DbSession,
          user: User = page_permission(P.SUPPORT_READ)) -> HTMLResponse:
    state = read_state(request, VIEW)
    page = _page(session, user, state)
    tenant = identity_service.get_tenant(session, user.tenant_id)
    f = state.filters
    context = {"current_user": user, "tenant": tenant, **page_helpers(tenant.timezone),
               **_people(session, user.tenant_id, list(page.items)), "page": page,
               "state": state, "q": f["q"], "status": f["status"], "priority": f["priority"],
               "assignee": f["assignee"], "sla": f["sla"], "statuses": STATUSES,
               "priorities": PRIORITIES, "bulk_actions": BULK_ACTIONS,
               "can_bulk": request.state.principal.has(P.SUPPORT_WRITE)}
    name = "support/_rows.html" if request.headers.get("hx-request") else "support/queue.html"
    return render(request, name, context)


def _with_people(reader: Session, tenant_id: uuid.UUID,
                 tickets: Iterable[Ticket]) -> Iterator[tuple[Ticket, Any, Any]]:
    rows = iter(tickets)
    while chunk := list(islice(rows, EXPORT_CHUNK)):
        people = _people(reader, tenant_id, chunk)
        for t in chunk:
            yield (t, people["customers"].get(t.customer_id),
                   people["staff"].get(t.assignee_id) if t.assignee_id else None)


@router.get("/export.csv", response_class=StreamingResponse)
def export_list(request: Request, session: DbSession,
                db: Annotated[Database, Depends(get_database)],
                user: User = page_permission(P.SUPPORT_READ)) -> StreamingResponse:
    """Every ticket the queue's filters show, in its order, streamed as it is read."""
    stmt = _query(session, user, read_state(request, VIEW))

    def lines() -> Iterator[str]:
        with db.unit_of_work(write=False) as reader:
            rows = _with_people(reader, user.tenant_id, stream_rows(reader, stmt))
            yield from csv_lines(listing.CSV_HEADER, rows, lambda r: listing.csv_cells(*r))

    return csv_response(lines(), "tickets.csv")


def _confirm(request: Request, session: Session, user: User, ids: list[str],
             form: dict[str, str], errors: FormErrors | None = None,
             status_code: int = 200) -> HTMLResponse:
    wanted = chosen_ids(ids)
    found = listing.tickets_among(session, user.tenant_id, wanted)
    staff = identity_service.list_users(session, user.tenant_id, PageParams(limit=200),
                                        active=True).items
    return render(request, "bulk_confirm.html", {
        "current_user": user, "title": f"Assign {len(found)} tickets?", "label": "Assign",
        "noun": "ticket", "nouns": "tickets", "action": "assign",
        "rows": {str(t.id): f"{t.number} {t.subject} ({t.status})" for t in found},
        "skipped": len(wanted) - len(found), "skip_reason": "not found",
        "action_url": "/admin/support/tickets/bulk", "back": back_to(VIEW, form.get("back")),
        "fields": [{"name": "assignee_id", "label": "Assignee", "required": True,
                    "options": [("none", "nobody (unassign)")]
                    + [(str(u.id), u.email) for u in staff]}],
        "form": form, "errors": errors}, status_code=status_code)


@router.get("/bulk", response_class=HTMLResponse)
def bulk_confirm(request: Request, session: DbSession,
                 user: User = page_permission(P.SUPPORT_WRITE)) -> HTMLResponse:
    return _confirm(request, session, user, request.query_params.getlist("ids"),
                    {"back": read_state(request, VIEW).url()})


@router.post("/bulk", response_class=HTMLResponse)
async def bulk_apply(request: Request, session: DbSession,
                     user: User = page_permission(P.SUPPORT_WRITE)) -> Response:
    await verify_csrf(request)
    form_data = await request.form()
    ids = [str(v) for v in form_data.getlist("ids")]
    form = {k: str(v) for k, v in form_data.items() if k != "ids"}
    raw = form.get("assignee_id", "")
    try:
        assignee = None if raw == "none" else uuid.UUID(raw)
    except ValueError:
        errors = FormErrors({"assignee_id": "Assignee"})
        errors.add("assignee_id", "choose a staff user")
        return _confirm(request, session, user, ids, form, errors, 422)
    try:
        with session.begin_nested():  # all tickets or none
            done = listing.assign_tickets(session, user.tenant_id, chosen_ids(ids), assignee)
    except AppError as exc:
        errors = FormErrors({"assignee_id": "Assignee"})
        errors.refusal(exc)
        return _confirm(request, session, user, ids, form, errors, 422)
    flash(request, f"Assigned {len(done)} tickets.")
    return RedirectResponse(back_to(VIEW, form.get("back")), status_code=303)
