"""Staff pages: the ticket queue with SLA badges, a ticket's detail and timeline, replies."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from dotmac_isp.config import Settings
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.field import service as field_service
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.identity.deps import AppSettings, DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.services import service as services
from dotmac_isp.modules.support import (
    attachments,
    conversation,
    schemas,
    service,
    teams,
    web_settings,
)
from dotmac_isp.modules.support.deps import SupportConf, attach, file_response
from dotmac_isp.modules.support.enums import TRANSITIONS, TicketStatus
from dotmac_isp.modules.support.models import Ticket, TicketMessage
from dotmac_isp.modules.support.presenters import page_helpers
from dotmac_isp.modules.support.settings import SupportSettings
from dotmac_isp.shared.enums import Priority
from dotmac_isp.shared.errors import AppError, NotFound
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.web.forms import FormErrors, all_or_nothing, form_errors, validate_form
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/admin/support", include_in_schema=False)
P = Permission
PAGE_SIZE = 25
STATUSES = [s.value for s in TicketStatus]
PRIORITIES = [p.value for p in Priority]


def _helpers(session: Session, user: User) -> dict[str, Any]:
    tenant = identity_service.get_tenant(session, user.tenant_id)
    return {"current_user": user, "tenant": tenant, **page_helpers(tenant.timezone)}


def _names(session: Session, tenant_id: uuid.UUID, tickets: list[Ticket]) -> dict[str, Any]:
    customers = {t.customer_id: customers_service.get_customer(session, tenant_id, t.customer_id)
                 for t in tickets}
    staff = {t.assignee_id: identity_service.get_user(session, tenant_id, t.assignee_id)
             for t in tickets if t.assignee_id}
    return {"customers": customers, "staff": staff}


# The new-ticket form's labels, which its errors name.
TICKET_LABELS = {"customer": "Customer number", "subject": "Subject",
                 "description": "What the customer reports", "category": "Category",
                 "priority": "Priority", "source": "Came in by"}
TICKET_FIELDS = {"customer_id": "customer"}
# The ticket page's forms (reply, status, assignment), by the ids of their fields.
DETAIL_LABELS = {"body": "Message", "file": "Attach", "new-status": "Status",
                 "status-reason": "Why", "assignee_id": "Assignee", "team_id": "Team",
                 "priority": "Priority"}


@router.get("/tickets/new", response_class=HTMLResponse)
def new_ticket_page(request: Request, session: DbSession, customer: str = "",
                    user: User = page_permission(P.SUPPORT_WRITE)) -> HTMLResponse:
    return render(request, "support/new.html", {**_helpers(session, user),
                                                "form": {"customer": customer},
                                                "priorities": PRIORITIES})


@router.post("/tickets/new", response_class=HTMLResponse)
async def create_ticket(request: Request, session: DbSession, settings: AppSettings,
                        user: User = page_permission(P.SUPPORT_WRITE)) -> Response:
    form = await verify_csrf(request)
    number = str(form.get("customer", "")).strip().upper()
    customer = customers_service.list_customers(
        session, user.tenant_id, PageParams(limit=2), query=number).items if number else []
    match = [c for c in customer if c.number == number]
    data, errors = validate_form(schemas.TicketCreate, {
        # without a match the other fields are still checked; the customer is said below
        "customer_id": match[0].id if match else uuid.UUID(int=0),
        "subject": str(form.get("subject", "")),
        "description": str(form.get("description", "")),
        "category": str(form.get("category", "") or "general"),
        "priority": str(form.get("priority", "normal")),
        "source": str(form.get("source", "phone"))}, TICKET_LABELS, TICKET_FIELDS)
    if not match:
        errors.add("customer", "give the customer's number, e.g. C000042")
    if data is not None and not errors:
        valid = data
        try:
            ticket = all_or_nothing(session, lambda: service.create_ticket(
                session, user.tenant_id, valid, settings=settings))
        except AppError as exc:
            errors.refusal(exc)
        else:
            flash(request, f"Ticket {ticket.number} opened.")
            return RedirectResponse(f"/admin/support/tickets/{ticket.id}", status_code=303)
    return render(request, "support/new.html", {**_helpers(session, user), "form": form,
                                                "errors": errors, "priorities": PRIORITIES},
                  status_code=422)


@router.get("/tickets/{ticket_id}", response_class=HTMLResponse)
def ticket_detail(request: Request, ticket_id: uuid.UUID, session: DbSession,
                  user: User = page_permission(P.SUPPORT_READ)) -> HTMLResponse:
    return _detail_page(request, session, user, ticket_id)


def _detail_page(request: Request, session: Session, user: User, ticket_id: uuid.UUID, *,
                 errors: FormErrors | None = None, form: dict[str, Any] | None = None,
                 status_code: int = 422) -> HTMLResponse:
    """The ticket page; after a refused reply, status or assignment form, with its errors
    beside the fields and what was typed kept."""
    ticket = service.get_ticket(session, user.tenant_id, ticket_id)
    items = conversation.timeline_items(session, user.tenant_id, ticket.id,
                                        PageParams(limit=1000)).items
    files = attachments.list_attachments(session, user.tenant_id, ticket.id,
                                         PageParams(limit=200)).items
    staff = identity_service.list_users(session, user.tenant_id, PageParams(limit=200),
                                        active=True).items
    customer_number = customers_service.get_customer(session, user.tenant_id,
                                                     ticket.customer_id).number
    return render(request, "support/detail.html", {
        **_helpers(session, user), **_names(session, user.tenant_id, [ticket]),
        "ticket": ticket, "view": service.ticket_out(session, ticket), "timeline": items,
        "sub_labels": services.subscription_labels(
            session, user.tenant_id, [ticket.subscription_id] if ticket.subscription_id else []),
        "attachments": files, "staff_users": staff, "priorities": PRIORITIES,
        "teams": teams.list_teams(session, user.tenant_id, PageParams(limit=200)).items,
        "next_statuses": [s.value for s in TicketStatus
                          if s in TRANSITIONS[TicketStatus(ticket.status)]],
        "errors": errors or [], "form": {k: v for k, v in (form or {}).items()
                                         if isinstance(v, str)},
        **field_service.work_orders_box(
            session, request.state.principal, ticket_id=ticket.id,
            new_link=f"/admin/field/work-orders/new?customer={customer_number}"
                     f"&ticket={ticket.id}")},
        status_code=status_code if errors else 200)


async def _upload(form: dict[str, Any], conf: SupportSettings) -> tuple[str, bytes] | None:
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    return upload.filename, await upload.read(conf.max_attachment_bytes + 1)


@router.post("/tickets/{ticket_id}/reply")
async def reply(request: Request, ticket_id: uuid.UUID, session: DbSession,
                settings: AppSettings, conf: SupportConf,
                user: User = page_permission(P.SUPPORT_WRITE)) -> Response:
    """A public reply or an internal note, with an optional status and file."""
    form = await verify_csrf(request)
    file = await _upload(form, conf)
    errors = FormErrors(DETAIL_LABELS)
    try:
        message = all_or_nothing(session, lambda: _reply(session, settings, conf, user,
                                                         ticket_id, form, file))
    except ValidationError as exc:
        errors.merge(form_errors(exc, DETAIL_LABELS))
    except AppError as exc:
        if exc.status_code == 404:
            raise
        errors.refusal(exc)
    if errors:
        return _detail_page(request, session, user, ticket_id, errors=errors, form=form)
    flash(request, "Note added." if message.kind == "note" else "Reply sent.")
    return RedirectResponse(f"/admin/support/tickets/{ticket_id}", status_code=303)


def _reply(session: Session, settings: Settings, conf: SupportSettings, user: User,
           ticket_id: uuid.UUID, form: dict[str, Any],
           file: tuple[str, bytes] | None) -> TicketMessage:
    body = str(form.get("body", ""))
    status = str(form.get("status", ""))
    if form.get("visibility") == "note":
        message = conversation.add_note(session, user.tenant_id, ticket_id,
                                        schemas.NoteIn(body=body))
    else:
        message = conversation.add_reply(session, user.tenant_id, ticket_id, schemas.ReplyIn(
            body=body, status=TicketStatus(status) if status in STATUSES else None),
            settings=settings)
    if file is not None:
        attach(lambda: attachments.add_attachment(session, conf, user.tenant_id, ticket_id,
                                                  *file, message_id=message.id))
    return message


@router.post("/tickets/{ticket_id}/status")
async def change_status(request: Request, ticket_id: uuid.UUID, session: DbSession,
                        settings: AppSettings,
                        user: User = page_permission(P.SUPPORT_WRITE)) -> Response:
    form = await verify_csrf(request)
    target = str(form.get("status", ""))
    errors = FormErrors(DETAIL_LABELS)
    status_code = 422
    if target not in STATUSES:
        errors.add("new-status", "choose a status")
    else:
        try:
            all_or_nothing(session, lambda: service.change_status(
                session, user.tenant_id, ticket_id, TicketStatus(target),
                reason=str(form.get("reason", ""))[:2000], settings=settings))
        except AppError as exc:
            if exc.status_code == 404:
                raise
            errors.refusal(exc, "new-status")
            status_code = exc.status_code
    if errors:
        return _detail_page(request, session, user, ticket_id, errors=errors,
                            form={"status_reason": form.get("reason", "")},
                            status_code=status_code)
    flash(request, f"The ticket is now {target.replace('_', ' ')}.")
    return RedirectResponse(f"/admin/support/tickets/{ticket_id}", status_code=303)


@router.post("/tickets/{ticket_id}/assign")
async def assign(request: Request, ticket_id: uuid.UUID, session: DbSession,
                 user: User = page_permission(P.SUPPORT_WRITE)) -> Response:
    """Assignee, team and priority from the detail page."""
    form = await verify_csrf(request)
    data: dict[str, Any] = {"assignee_id": form.get("assignee_id") or None,
                            "team_id": form.get("team_id") or None}
    if form.get("priority"):
        data["priority"] = form["priority"]
    update, errors = validate_form(schemas.TicketUpdate, data, DETAIL_LABELS)
    if update is not None:
        valid = update
        try:
            all_or_nothing(session, lambda: service.update_ticket(session, user.tenant_id,
                                                                  ticket_id, valid))
        except AppError as exc:
            if exc.status_code == 404:
                raise
            errors.refusal(exc)
    if errors:
        return _detail_page(request, session, user, ticket_id, errors=errors)
    flash(request, "Ticket updated.")
    return RedirectResponse(f"/admin/support/tickets/{ticket_id}", status_code=303)


@router.get("/attachments/{attachment_id}")
def download(attachment_id: uuid.UUID, session: DbSession, conf: SupportConf,
             user: User = page_permission(P.SUPPORT_READ)) -> Response:
    attachment = attachments.get_attachment(session, user.tenant_id, attachment_id)
    try:
        return file_response(attachment, attachments.read(conf, attachment))
    except AppError as exc:
        raise NotFound(exc.detail) from exc


router.include_router(web_settings.router)
