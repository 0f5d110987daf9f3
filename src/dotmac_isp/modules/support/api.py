"""Support JSON API: tickets, their conversation, attachments, incident links."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.datastructures import UploadFile

from dotmac_isp.modules.identity.deps import AppSettings, DbSession, require
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.identity.principal import Principal
from dotmac_isp.modules.support import (
    api_config,
    attachments,
    conversation,
    incidents,
    merge,
    schemas,
    service,
)
from dotmac_isp.modules.support.deps import SupportConf, file_response
from dotmac_isp.modules.support.enums import ACTIVE, SlaState, TicketStatus
from dotmac_isp.modules.support.models import Ticket, TicketAttachment, TicketMessage
from dotmac_isp.modules.support.settings import SupportSettings
from dotmac_isp.modules.support.validation import NO_CONTROL
from dotmac_isp.shared.enums import Priority
from dotmac_isp.shared.errors import ValidationFailed
from dotmac_isp.shared.pagination import Page, PageParams, page_params

router = APIRouter(prefix="/support", tags=["support"])
Paging = Annotated[PageParams, Depends(page_params)]
READ, WRITE = require(Permission.SUPPORT_READ), require(Permission.SUPPORT_WRITE)
UPLOAD_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {
        "type": "object", "required": ["file"],
        "properties": {"file": {"type": "string", "format": "binary"},
                       "message_id": {"type": "string", "format": "uuid"}}}}}}}


@router.get("/tickets", response_model=Page[schemas.TicketSummary])
def list_tickets(session: DbSession, paging: Paging,
                 q: str | None = Query(None, max_length=200, pattern=NO_CONTROL,
                                       description="number or subject"),
                 status: list[TicketStatus] | None = Query(None),
                 active: bool = Query(False, description="only tickets not resolved/closed"),
                 priority: Priority | None = None,
                 category: str | None = Query(None, max_length=64, pattern=NO_CONTROL),
                 customer_id: uuid.UUID | None = None, assignee_id: uuid.UUID | None = None,
                 unassigned: bool = False, team_id: uuid.UUID | None = None,
                 tag: str | None = Query(None, max_length=40, pattern=NO_CONTROL),
                 sla: SlaState | None = Query(None, description="either target in this state"),
                 incident_id: uuid.UUID | None = Query(None, description="tickets of an outage"),
                 principal: Principal = READ) -> Page[Ticket]:
    """The ticket queue, newest first."""
    statuses = [s.value for s in status or []]
    if active:
        statuses = [s for s in statuses if s in ACTIVE] if statuses else [s.value for s in ACTIVE]
    return service.list_tickets(
        session, principal.tenant_id, paging, query=q, status=statuses or None,
        priority=priority.value if priority else None, category=category,
        customer_id=customer_id, assignee_id=assignee_id, unassigned=unassigned,
        team_id=team_id, tag=tag, sla=sla.value if sla else None, incident_id=incident_id)


@router.post("/tickets", response_model=schemas.TicketOut, status_code=201)
def create_ticket(body: schemas.TicketCreate, session: DbSession, settings: AppSettings,
                  principal: Principal = WRITE) -> schemas.TicketOut:
    """Open a ticket for a customer; the SLA clock of the matching policy starts."""
    ticket = service.create_ticket(session, principal.tenant_id, body, settings=settings)
    return service.ticket_out(session, ticket)


@router.get("/tickets/{ticket_id}", response_model=schemas.TicketOut)
def get_ticket(ticket_id: uuid.UUID, session: DbSession,
               principal: Principal = READ) -> schemas.TicketOut:
    return service.ticket_out(session, service.get_ticket(session, principal.tenant_id,
                                                          ticket_id))


@router.patch("/tickets/{ticket_id}", response_model=schemas.TicketOut)
def update_ticket(ticket_id: uuid.UUID, body: schemas.TicketUpdate, session: DbSession,
                  principal: Principal = WRITE) -> schemas.TicketOut:
    """Change subject, category, priority (new SLA targets), assignee, team, tags, links."""
    ticket = service.update_ticket(session, principal.tenant_id, ticket_id, body)
    return service.ticket_out(session, ticket)


@router.post("/tickets/{ticket_id}/status", response_model=schemas.TicketOut)
def change_status(ticket_id: uuid.UUID, body: schemas.StatusChange, session: DbSession,
                  settings: AppSettings, principal: Principal = WRITE) -> schemas.TicketOut:
    """Move the ticket. Pending statuses pause the SLA clock; resolved and closed stop it."""
    ticket = service.change_status(session, principal.tenant_id, ticket_id, body.status,
                                   reason=body.reason, settings=settings)
    return service.ticket_out(session, ticket)


@router.get("/tickets/{ticket_id}/messages", response_model=Page[schemas.MessageOut])
def list_messages(ticket_id: uuid.UUID, session: DbSession, paging: Paging,
                  public_only: bool = False,
                  principal: Principal = READ) -> Page[TicketMessage]:
    """Replies and internal notes, oldest first."""
    return conversation.list_messages(session, principal.tenant_id, ticket_id, paging,
                                      public_only=public_only)


@router.post("/tickets/{ticket_id}/replies", response_model=schemas.MessageOut,
             status_code=201)
def add_reply(ticket_id: uuid.UUID, body: schemas.ReplyIn, session: DbSession,
              settings: AppSettings, principal: Principal = WRITE) -> TicketMessage:
    """A public reply, emailed to the customer; the first one meets the first-response
    target."""
    return conversation.add_reply(session, principal.tenant_id, ticket_id, body,
                                  settings=settings)


@router.post("/tickets/{ticket_id}/notes", response_model=schemas.MessageOut, status_code=201)
def add_note(ticket_id: uuid.UUID, body: schemas.NoteIn, session: DbSession,
             principal: Principal = WRITE) -> TicketMessage:
    """An internal note; the customer never sees it."""
    return conversation.add_note(session, principal.tenant_id, ticket_id, body)


@router.get("/tickets/{ticket_id}/timeline", response_model=Page[schemas.TimelineItem])
def get_timeline(ticket_id: uuid.UUID, session: DbSession, paging: Paging,
                 principal: Principal = READ) -> Page[schemas.TimelineItem]:
    """Replies, notes, status changes and SLA events in order."""
    return conversation.timeline_items(session, principal.tenant_id, ticket_id, paging)


@router.post("/tickets/{ticket_id}/merge", response_model=schemas.TicketOut)
def merge_ticket(ticket_id: uuid.UUID, body: schemas.MergeIn, session: DbSession,
                 principal: Principal = WRITE) -> schemas.TicketOut:
    """Merge this duplicate into another ticket of the same customer; returns that one."""
    into = merge.merge_tickets(session, principal.tenant_id, ticket_id, body.into_ticket_id)
    return service.ticket_out(session, into)


@router.put("/tickets/{ticket_id}/incident", response_model=schemas.TicketOut)
def link_incident(ticket_id: uuid.UUID, body: schemas.IncidentLink, session: DbSession,
                  principal: Principal = WRITE) -> schemas.TicketOut:
    """Link the ticket to an outage (an incident of the network module)."""
    ticket = incidents.link_incident(session, principal.tenant_id, ticket_id, body.incident_id)
    return service.ticket_out(session, ticket)


@router.delete("/tickets/{ticket_id}/incident", response_model=schemas.TicketOut)
def unlink_incident(ticket_id: uuid.UUID, session: DbSession,
                    principal: Principal = WRITE) -> schemas.TicketOut:
    ticket = incidents.unlink_incident(session, principal.tenant_id, ticket_id)
    return service.ticket_out(session, ticket)


@router.post("/incident-tickets/resolve", response_model=schemas.ResolveIncidentOut)
def resolve_incident_tickets(body: schemas.ResolveIncidentIn, session: DbSession,
                             settings: AppSettings,
                             principal: Principal = WRITE) -> schemas.ResolveIncidentOut:
    """Post one public reply on every open ticket of the incident and resolve them all."""
    linked = incidents.incident_tickets(session, principal.tenant_id, body.incident_id)
    resolved = incidents.resolve_incident_tickets(session, principal.tenant_id,
                                                  body.incident_id, body.reply,
                                                  settings=settings)
    return schemas.ResolveIncidentOut(
        incident_id=body.incident_id,
        resolved=[schemas.TicketSummary.model_validate(t) for t in resolved],
        already_done=len(linked) - len(resolved))


@router.get("/tickets/{ticket_id}/attachments", response_model=Page[schemas.AttachmentOut])
def list_attachments(ticket_id: uuid.UUID, session: DbSession, paging: Paging,
                     principal: Principal = READ) -> Page[TicketAttachment]:
    return attachments.list_attachments(session, principal.tenant_id, ticket_id, paging)


async def read_upload(request: Request, conf: SupportSettings) -> tuple[str, bytes, str | None]:
    """(filename, bytes, message_id) of a multipart upload with one 'file' field."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise ValidationFailed("send the file as multipart/form-data in a field named 'file'")
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > conf.max_attachment_bytes + 64 * 1024:
        raise attachments.AttachmentTooLarge(
            f"the upload is larger than {conf.max_attachment_bytes} bytes")
    form = await request.form(max_files=1, max_fields=5)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise ValidationFailed("file: attach one file in a field named 'file'")
    data = await upload.read(conf.max_attachment_bytes + 1)
    message_id = form.get("message_id")
    return upload.filename or "", data, message_id if isinstance(message_id, str) else None


def _uuid_or_none(value: str | None, field: str) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise ValidationFailed(f"{field}: not a UUID") from exc


@router.post("/tickets/{ticket_id}/attachments", response_model=schemas.AttachmentOut,
             status_code=201, openapi_extra=UPLOAD_BODY)
async def upload_attachment(ticket_id: uuid.UUID, request: Request, session: DbSession,
                            conf: SupportConf,
                            principal: Principal = WRITE) -> TicketAttachment:
    """Attach a file (multipart field 'file'; optional 'message_id' to put it on a reply)."""
    service.get_ticket(session, principal.tenant_id, ticket_id)  # 404 before reading the body
    filename, data, message_id = await read_upload(request, conf)
    return attachments.add_attachment(session, conf, principal.tenant_id, ticket_id, filename,
                                      data, message_id=_uuid_or_none(message_id, "message_id"))


@router.get("/attachments/{attachment_id}", response_model=schemas.AttachmentOut)
def get_attachment(attachment_id: uuid.UUID, session: DbSession,
                   principal: Principal = READ) -> TicketAttachment:
    return attachments.get_attachment(session, principal.tenant_id, attachment_id)


@router.get("/attachments/{attachment_id}/content", response_class=Response)
def download_attachment(attachment_id: uuid.UUID, session: DbSession, conf: SupportConf,
                        principal: Principal = READ) -> Response:
    attachment = attachments.get_attachment(session, principal.tenant_id, attachment_id)
    return file_response(attachment, attachments.read(conf, attachment))


@router.delete("/attachments/{attachment_id}", status_code=204)
def delete_attachment(attachment_id: uuid.UUID, session: DbSession, conf: SupportConf,
                      principal: Principal = WRITE) -> Response:
    attachments.delete_attachment(session, conf, principal.tenant_id, attachment_id)
    return Response(status_code=204)


router.include_router(api_config.router)
