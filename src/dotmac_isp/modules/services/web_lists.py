"""Staff subscription list: sorting, URL filters, page sizes, CSV export, and suspending or
restoring many subscriptions after one confirmation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy import Select
from sqlalchemy.orm import Session

from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.identity.deps import DbSession, get_database, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.services import listing
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.errors import NotFound
from dotmac_isp.shared.list_pages import keyset_page
from dotmac_isp.shared.listing import ordered, stream_rows
from dotmac_isp.web.forms import FormErrors
from dotmac_isp.web.lists import (
    ListState,
    ListView,
    back_to,
    chosen_ids,
    csv_lines,
    csv_response,
    day,
    day_span,
    read_state,
)
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/admin/subscriptions", include_in_schema=False)
P = Permission
STATUSES = [s.value for s in SubscriptionStatus]
DATES = ("activated_from", "activated_to", "ended_from", "ended_to")
VIEW = ListView(base="/admin/subscriptions", default_sort="-created",
                filters=("q", "status", *DATES),
                columns={"username": "Username", "plan": "Plan", "status": "Status",
                         "since": "Since", "created": "Created"})
BULK_ACTIONS = [("suspend", "Suspend"), ("restore", "Restore")]
LABELS = dict(BULK_ACTIONS)


def _filtered(session: Session, user: User, state: ListState) -> Select[Any]:
    f = state.filters
    zone = identity_service.get_tenant(session, user.tenant_id).timezone
    return listing.subscription_query(
        session, user.tenant_id, username=f["q"][:64] or None,
        status=f["status"] if f["status"] in STATUSES else None,
        activated=day_span(f["activated_from"], f["activated_to"], zone),
        ended=day_span(f["ended_from"], f["ended_to"], zone))


def _query(session: Session, user: User, state: ListState) -> Select[Any]:
    return ordered(_filtered(session, user, state), listing.SORTS, state.sort, listing.TIE)


@router.get("", response_class=HTMLResponse)
def subscription_list(request: Request, session: DbSession,
                      user: User = page_permission(P.SERVICES_READ)) -> HTMLResponse:
    state = read_state(request, VIEW)
    walk = listing.plan_walk(session, user.tenant_id) if state.sort.key == "plan" else None
    page = keyset_page(session, _filtered(session, user, state),
                       key=listing.SORTS[state.sort.key], tie=listing.TIE, order=state.sort,
                       limit=state.size, cursor=state.cursor, walk=walk)
    return render(request, "services/subscriptions.html", {
        "current_user": user, "page": page, "state": state, "statuses": STATUSES,
        "bad_dates": [k for k in DATES if state.filters[k] and day(state.filters[k]) is None],
        "bulk_actions": BULK_ACTIONS,
        "can_bulk": request.state.principal.has(P.SERVICES_WRITE)})


@router.get("/export.csv", response_class=StreamingResponse)
def export_list(request: Request, session: DbSession,
                db: Annotated[Database, Depends(get_database)],
                user: User = page_permission(P.SERVICES_READ)) -> StreamingResponse:
    """Every subscription the list's filters show, in its order, streamed as it is read."""
    stmt = _query(session, user, read_state(request, VIEW))

    def lines() -> Iterator[str]:
        with db.unit_of_work(write=False) as reader:
            yield from csv_lines(listing.CSV_HEADER, stream_rows(reader, stmt),
                                 listing.csv_cells)

    return csv_response(lines(), "subscriptions.csv")


def _action(raw: object) -> str:
    if raw not in listing.BULK:
        raise NotFound("no such bulk action; choose suspend or restore")
    return str(raw)


BULK_REASON = "Reason, kept in each history"


def _confirm(request: Request, session: Session, user: User, action: str, ids: list[str],
             form: dict[str, str], errors: FormErrors | None = None,
             status_code: int = 200) -> HTMLResponse:
    wanted = chosen_ids(ids)
    found = listing.subscriptions_among(session, user.tenant_id, wanted)
    rows = {str(s.id): f"{s.radius_username} ({s.plan.name}, {s.status})"
            for s in listing.eligible(found, action)}
    label = LABELS[action]
    current, _target = listing.BULK[action]
    return render(request, "bulk_confirm.html", {
        "current_user": user, "title": f"{label} {len(rows)} subscriptions?", "label": label,
        "noun": "subscription", "nouns": "subscriptions", "rows": rows, "action": action,
        "skipped": len(wanted) - len(rows), "skip_reason": f"not found or not {current.value}",
        "action_url": "/admin/subscriptions/bulk", "back": back_to(VIEW, form.get("back")),
        "danger": action == "suspend",
        "fields": [{"name": "reason", "label": BULK_REASON,
                    "required": action == "suspend", "maxlength": 500}],
        "form": form, "errors": errors}, status_code=status_code)


@router.get("/bulk", response_class=HTMLResponse)
def bulk_confirm(request: Request, session: DbSession, action: str = "",
                 user: User = page_permission(P.SERVICES_WRITE)) -> HTMLResponse:
    return _confirm(request, session, user, _action(action),
                    request.query_params.getlist("ids"),
                    {"back": read_state(request, VIEW).url()})


@router.post("/bulk", response_class=HTMLResponse)
async def bulk_apply(request: Request, session: DbSession,
                     user: User = page_permission(P.SERVICES_WRITE)) -> Response:
    await verify_csrf(request)
    form_data = await request.form()
    ids = [str(v) for v in form_data.getlist("ids")]
    form = {k: str(v) for k, v in form_data.items() if k != "ids"}
    action = _action(form.get("action"))
    reason = form.get("reason", "").strip()[:500]
    if action == "suspend" and not reason:
        errors = FormErrors({"reason": BULK_REASON})
        errors.add("reason", "give a reason; it is kept in the history")
        return _confirm(request, session, user, action, ids, form, errors, 422)
    done = listing.apply_bulk(session, user.tenant_id, chosen_ids(ids), action, reason)
    flash(request, f"{LABELS[action]}: {len(done)} subscriptions done.")
    return RedirectResponse(back_to(VIEW, form.get("back")), status_code=303)
