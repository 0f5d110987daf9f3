"""Staff pages: the ticket queue with SLA badges, a ticket's detail and timeline, replies."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from dotmac_isp.modules.customers import service as customers_service
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
from dotmac_isp.modules.support.deps import SupportConf, file_response
from dotmac_isp.modules.support.enums import ACTIVE, TRANSITIONS, SlaState, TicketStatus
from dotmac_isp.modules.support.models import Ticket
from dotmac_isp.modules.support.presenters import page_helpers
from dotmac_isp.modules.support.settings import SupportSettings
from dotmac_isp.shared.enums import Priority
from dotmac_isp.shared.errors import AppError, NotFound, ValidationFailed
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.web.templating import flash, render, validation_messages, verify_csrf

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


@router.get("/tickets", response_class=HTMLResponse)
def queue(request: Request, session: DbSession, q: str = "", status: str = "active",
          priority: str = "", assignee: str = "", sla: str = "", offset: int = 0,
          user: User = page_permission(P.SUPPORT_READ)) -> HTMLResponse:
    statuses = [s.value for s in ACTIVE] if status == "active" else \
        [status] if status in STATUSES else None
    page = service.list_tickets(
        session, user.tenant_id, PageParams(limit=PAGE_SIZE, offset=max(offset, 0)),
        query=q.strip()[:200] or None, status=statuses,
        priority=priority if priority in PRIORITIES else None,
        assignee_id=user.id if assignee == "me" else None, unassigned=assignee == "none",
        sla=sla if sla in (SlaState.AT_RISK, SlaState.BREACHED, SlaState.PAUSED) else None)
    context = {**_helpers(session, user), **_names(session, user.tenant_id, list(page.items)),
               "page": page, "q": q, "status": status, "priority": priority,
               "assignee": assignee, "sla": sla, "statuses": STATUSES, "priorities": PRIORITIES,
               "params": {"q": q, "status": status, "priority": priority,
                          "assignee": assignee, "sla": sla}}
    name = "support/_rows.html" if request.headers.get("hx-request") else "support/queue.html"
    return render(request, name, context)


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
    errors: list[str] = []
    number = str(form.get("customer", "")).strip().upper()
    customer = customers_service.list_customers(
        session, user.tenant_id, PageParams(limit=2), query=number).items if number else []
    match = [c for c in customer if c.number == number]
    if not match:
        errors.append("customer: give the customer's number, e.g. C000042")
    if not errors:
        try:
            data = schemas.TicketCreate.model_validate({
                "customer_id": match[0].id, "subject": str(form.get("subject", "")),
                "description": str(form.get("description", "")),
                "category": str(form.get("category", "") or "general"),
                "priority": str(form.get("priority", "normal")),
                "source": str(form.get("source", "phone"))})
            ticket = service.create_ticket(session, user.tenant_id, data, settings=settings)
            flash(request, f"Ticket {ticket.number} opened.")
            return RedirectResponse(f"/admin/support/tickets/{ticket.id}", status_code=303)
        except ValidationError as exc:
            errors = validation_messages(exc)
    return render(request, "support/new.html", {**_helpers(session, user), "form": form,
                                                "errors": errors, "priorities": PRIORITIES},
                  status_code=422)


@router.get("/tickets/{ticket_id}", response_class=HTMLResponse)
def ticket_detail(request: Request, ticket_id: uuid.UUID, session: DbSession,
                  user: User = page_permission(P.SUPPORT_READ)) -> HTMLResponse:
    ticket = service.get_ticket(session, user.tenant_id, ticket_id)
    items = conversation.timeline_items(session, user.tenant_id, ticket.id,
                                        PageParams(limit=1000)).items
    files = attachments.list_attachments(session, user.tenant_id, ticket.id,
                                         PageParams(limit=200)).items
    staff = identity_service.list_users(session, user.tenant_id, PageParams(limit=200),
                                        active=True).items
    return render(request, "support/detail.html", {
        **_helpers(session, user), **_names(session, user.tenant_id, [ticket]),
        "ticket": ticket, "view": service.ticket_out(session, ticket), "timeline": items,
        "sub_labels": services.subscription_labels(
            session, user.tenant_id, [ticket.subscription_id] if ticket.subscription_id else []),
        "attachments": files, "staff_users": staff, "priorities": PRIORITIES,
        "teams": teams.list_teams(session, user.tenant_id, PageParams(limit=200)).items,
        "next_statuses": [s.value for s in TicketStatus
                          if s in TRANSITIONS[TicketStatus(ticket.status)]]})


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
    body = str(form.get("body", ""))
    status = str(form.get("status", ""))
    file = await _upload(form, conf)
    try:
        if form.get("visibility") == "note":
            message = conversation.add_note(session, user.tenant_id, ticket_id,
                                            schemas.NoteIn(body=body))
        else:
            message = conversation.add_reply(session, user.tenant_id, ticket_id, schemas.ReplyIn(
                body=body, status=TicketStatus(status) if status in STATUSES else None),
                settings=settings)
        if file is not None:
            attachments.add_attachment(session, conf, user.tenant_id, ticket_id, *file,
                                       message_id=message.id)
    except ValidationError as exc:
        raise ValidationFailed("; ".join(validation_messages(exc))) from exc
    flash(request, "Note added." if message.kind == "note" else "Reply sent.")
    return RedirectResponse(f"/admin/support/tickets/{ticket_id}", status_code=303)


@router.post("/tickets/{ticket_id}/status")
async def change_status(request: Request, ticket_id: uuid.UUID, session: DbSession,
                        settings: AppSettings,
                        user: User = page_permission(P.SUPPORT_WRITE)) -> Response:
    form = await verify_csrf(request)
    target = str(form.get("status", ""))
    if target not in STATUSES:
        raise ValidationFailed("choose a status")
    service.change_status(session, user.tenant_id, ticket_id, TicketStatus(target),
                          reason=str(form.get("reason", ""))[:2000], settings=settings)
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
    try:
        service.update_ticket(session, user.tenant_id, ticket_id,
                              schemas.TicketUpdate.model_validate(data))
    except ValidationError as exc:
        raise ValidationFailed("; ".join(validation_messages(exc))) from exc
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
