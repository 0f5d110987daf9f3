"""Customer portal pages for support: open a ticket, follow it, reply (portal session)."""

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
from dotmac_isp.modules.customers.portal_web import signed_in_account
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.identity.deps import AppSettings, DbSession
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.support import attachments, conversation, schemas, service
from dotmac_isp.modules.support.deps import SupportConf, attach, file_response
from dotmac_isp.modules.support.enums import TicketSource, TicketStatus
from dotmac_isp.modules.support.models import Ticket
from dotmac_isp.modules.support.presenters import page_helpers
from dotmac_isp.modules.support.repository import AttachmentRepository
from dotmac_isp.modules.support.settings import SupportSettings
from dotmac_isp.shared.errors import AppError, NotFound
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.web.forms import FormErrors, all_or_nothing, form_errors
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/portal/{slug}/tickets", include_in_schema=False)
CATEGORIES = ("outage", "slow", "billing", "installation", "general")


def _tenant(session: Session, slug: str) -> Tenant:
    tenant = identity_service.tenant_by_slug(session, slug)
    if not tenant.is_active:
        raise AppError("this provider's portal is not available")
    return tenant


def _context(request: Request, session: Session,
             slug: str) -> tuple[Tenant, uuid.UUID, dict[str, Any]]:
    tenant = _tenant(session, slug)
    account = signed_in_account(request, session, tenant)
    customer = customers_service.get_customer(session, tenant.id, account.customer_id)
    return tenant, customer.id, {"tenant": tenant, "customer": customer,
                                 **page_helpers(tenant.timezone)}


def _own_ticket(session: Session, tenant: Tenant, customer_id: uuid.UUID,
                ticket_id: uuid.UUID) -> Ticket:
    ticket = service.get_ticket(session, tenant.id, ticket_id)
    if ticket.customer_id != customer_id:
        raise NotFound("ticket not found")
    return ticket


@router.get("", response_class=HTMLResponse)
def my_tickets(request: Request, slug: str, session: DbSession) -> HTMLResponse:
    tenant, customer_id, ctx = _context(request, session, slug)
    tickets = service.list_tickets(session, tenant.id, PageParams(limit=100),
                                   customer_id=customer_id).items
    return render(request, "support_portal/list.html", {**ctx, "tickets": tickets})

# The labels of the customer's new-request form, which its errors name.
PORTAL_TICKET_LABELS = {"category": "What is it about?", "subject": "Subject",
                        "description": "Tell us what happens", "file": "A photo or file"}


@router.get("/new", response_class=HTMLResponse)
def new_ticket(request: Request, slug: str, session: DbSession) -> HTMLResponse:
    _tenant_obj, _cid, ctx = _context(request, session, slug)
    return render(request, "support_portal/new.html", {**ctx, "categories": CATEGORIES,
                                                       "form": {}})


async def _file(form: dict[str, Any], conf: SupportSettings) -> tuple[str, bytes] | None:
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    return upload.filename, await upload.read(conf.max_attachment_bytes + 1)


def _open(session: Session, settings: Settings, conf: SupportSettings, tenant_id: uuid.UUID,
          data: schemas.TicketCreate, file: tuple[str, bytes] | None) -> Ticket:
    ticket = service.create_ticket(session, tenant_id, data, settings=settings)
    if file is not None:
        first = conversation.list_messages(session, tenant_id, ticket.id,
                                           PageParams(limit=1)).items[0]
        attach(lambda: attachments.add_attachment(session, conf, tenant_id, ticket.id, *file,
                                                  message_id=first.id, uploaded_by="customer"))
    return ticket


@router.post("/new", response_class=HTMLResponse)
async def open_ticket(request: Request, slug: str, session: DbSession, settings: AppSettings,
                      conf: SupportConf) -> Response:
    form = await verify_csrf(request)
    tenant, customer_id, ctx = _context(request, session, slug)
    category = str(form.get("category", "general"))
    try:
        data = schemas.TicketCreate(
            customer_id=customer_id, subject=str(form.get("subject", "")),
            description=str(form.get("description", "")),
            category=category if category in CATEGORIES else "general",
            source=TicketSource.PORTAL)
    except ValidationError as exc:
        return render(request, "support_portal/new.html", {
            **ctx, "categories": CATEGORIES, "form": form,
            "errors": form_errors(exc, PORTAL_TICKET_LABELS)}, status_code=422)
    file = await _file(form, conf)
    try:
        ticket = all_or_nothing(session, lambda: _open(session, settings, conf, tenant.id,
                                                       data, file))
    except AppError as exc:  # a refused file: said beside it, nothing stored
        errors = FormErrors(PORTAL_TICKET_LABELS)
        errors.refusal(exc)
        return render(request, "support_portal/new.html", {
            **ctx, "categories": CATEGORIES, "form": form, "errors": errors},
            status_code=422)
    flash(request, f"Thank you. Your request is ticket {ticket.number}.")
    return RedirectResponse(f"/portal/{slug}/tickets/{ticket.id}", status_code=303)


@router.get("/{ticket_id}", response_class=HTMLResponse)
def ticket_page(request: Request, slug: str, ticket_id: uuid.UUID,
                session: DbSession) -> HTMLResponse:
    tenant, customer_id, ctx = _context(request, session, slug)
    ticket = _own_ticket(session, tenant, customer_id, ticket_id)
    messages = conversation.list_messages(session, tenant.id, ticket.id, PageParams(limit=500),
                                          public_only=True).items
    files = [a for a in attachments.list_attachments(session, tenant.id, ticket.id,
                                                     PageParams(limit=200)).items
             if a.message_id in {m.id for m in messages}]
    return render(request, "support_portal/detail.html", {
        **ctx, "ticket": ticket, "messages": messages, "attachments": files,
        "can_reply": ticket.status != TicketStatus.CLOSED})


@router.post("/{ticket_id}/reply")
async def reply(request: Request, slug: str, ticket_id: uuid.UUID, session: DbSession,
                settings: AppSettings, conf: SupportConf) -> Response:
    form = await verify_csrf(request)
    tenant, customer_id, _ctx = _context(request, session, slug)
    ticket = _own_ticket(session, tenant, customer_id, ticket_id)
    body = str(form.get("body", "")).strip()
    if not body:
        flash(request, "Write a message first.")
        return RedirectResponse(f"/portal/{slug}/tickets/{ticket.id}", status_code=303)
    message = conversation.add_customer_reply(session, tenant.id, ticket.id,
                                              body[:schemas.MAX_BODY], via="portal",
                                              settings=settings)
    file = await _file(form, conf)
    if file is not None:
        attachments.add_attachment(session, conf, tenant.id, ticket.id, *file,
                                   message_id=message.id, uploaded_by="customer")
    flash(request, "Your message was added.")
    return RedirectResponse(f"/portal/{slug}/tickets/{ticket.id}", status_code=303)


@router.get("/{ticket_id}/attachments/{attachment_id}")
def download(request: Request, slug: str, ticket_id: uuid.UUID, attachment_id: uuid.UUID,
             session: DbSession, conf: SupportConf) -> Response:
    tenant, customer_id, _ctx = _context(request, session, slug)
    ticket = _own_ticket(session, tenant, customer_id, ticket_id)
    attachment = AttachmentRepository(session, tenant.id).get(attachment_id)
    if attachment.ticket_id != ticket.id or not attachments.is_public(session, attachment):
        raise NotFound("attachment not found")
    return file_response(attachment, attachments.read(conf, attachment))

