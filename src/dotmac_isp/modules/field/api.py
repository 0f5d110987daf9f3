"""Work order JSON API: list (paged by key), create, read, change, move, schedule,
checklist, notes and files. A technician's calls see only their own work orders."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.datastructures import UploadFile

from dotmac_isp.modules.field import checklists, files, reminders, scheduling, schemas, service
from dotmac_isp.modules.field.access import scope_of
from dotmac_isp.modules.field.enums import AttachmentKind, WorkOrderKind, WorkOrderStatus
from dotmac_isp.modules.field.models import (
    ChecklistItem,
    WorkOrder,
    WorkOrderAttachment,
    WorkOrderHistory,
    WorkOrderNote,
)
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.identity.deps import AppSettings, DbSession, require
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.identity.principal import Principal
from dotmac_isp.modules.support.deps import SupportConf, file_response
from dotmac_isp.modules.support.settings import SupportSettings
from dotmac_isp.shared.errors import ValidationFailed
from dotmac_isp.shared.pagination import Page, PageParams, page_params

router = APIRouter(prefix="/work-orders", tags=["field"])
templates_router = APIRouter(prefix="/work-order-checklists", tags=["field"])
Paging = Annotated[PageParams, Depends(page_params)]
READ, WRITE = require(Permission.FIELD_READ), require(Permission.FIELD_WRITE)
DISPATCH = require(Permission.FIELD_DISPATCH)
ONE = "/{work_order_id}"
UPLOAD_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {
        "type": "object", "required": ["file"],
        "properties": {"file": {"type": "string", "format": "binary"},
                       "kind": {"type": "string", "enum": [k.value for k in AttachmentKind]}},
    }}}}}


@router.get("", response_model=Page[schemas.WorkOrderOut])
def list_work_orders(session: DbSession, paging: Paging,
                     status: list[WorkOrderStatus] | None = Query(None),
                     kind: WorkOrderKind | None = None,
                     technician_id: uuid.UUID | None = None,
                     customer_id: uuid.UUID | None = None, ticket_id: uuid.UUID | None = None,
                     day: date | None = Query(None, description="window starts on this day "
                                                                 "(the tenant's time zone)"),
                     principal: Principal = READ) -> Page[WorkOrder]:
    """Work orders, newest first; page on with next_cursor."""
    starts_from = starts_before = None
    if day is not None:
        if not date.min < day < date.max:
            raise ValidationFailed("day: out of range")
        zone = identity_service.get_tenant(session, principal.tenant_id).timezone
        starts_from, starts_before = reminders.day_bounds(day, zone)
    return service.list_work_orders(
        session, scope_of(principal), paging, status=[s.value for s in status or []] or None,
        kind=kind.value if kind else None, technician_id=technician_id,
        customer_id=customer_id, ticket_id=ticket_id, starts_from=starts_from,
        starts_before=starts_before)


@router.post("", response_model=schemas.WorkOrderOut, status_code=201)
def create_work_order(body: schemas.WorkOrderCreate, session: DbSession,
                      principal: Principal = WRITE) -> WorkOrder:
    """A work order for a customer; the kind's checklist is copied onto it."""
    return service.create_work_order(session, principal.tenant_id, body)


@router.get(ONE, response_model=schemas.WorkOrderOut)
def get_work_order(work_order_id: uuid.UUID, session: DbSession,
                   principal: Principal = READ) -> WorkOrder:
    return service.get_work_order(session, scope_of(principal), work_order_id)


@router.patch(ONE, response_model=schemas.WorkOrderOut)
def update_work_order(work_order_id: uuid.UUID, body: schemas.WorkOrderUpdate,
                      session: DbSession, principal: Principal = WRITE) -> WorkOrder:
    """Change the description, address, links or expected duration."""
    return service.update_work_order(session, scope_of(principal), work_order_id, body)


@router.post(ONE + "/status", response_model=schemas.WorkOrderOut)
def change_status(work_order_id: uuid.UUID, body: schemas.StatusChange, session: DbSession,
                  settings: AppSettings, principal: Principal = WRITE) -> WorkOrder:
    """Move the work order (en_route, on_site, done, failed, cancelled); done needs the
    required checklist items ticked."""
    return service.change_status(session, scope_of(principal), work_order_id, body.status,
                                 note=body.note, settings=settings)


@router.post(ONE + "/schedule", response_model=schemas.WorkOrderOut)
def schedule(work_order_id: uuid.UUID, body: schemas.ScheduleIn, session: DbSession,
             settings: AppSettings, principal: Principal = DISPATCH) -> WorkOrder:
    """Assign a technician and a time window (again to reschedule); refused with 409 when
    the technician is booked then. The customer is emailed the appointment."""
    return scheduling.schedule(session, scope_of(principal), work_order_id, body,
                               settings=settings)


@router.get(ONE + "/history", response_model=Page[schemas.HistoryOut])
def history(work_order_id: uuid.UUID, session: DbSession, paging: Paging,
            principal: Principal = READ) -> Page[WorkOrderHistory]:
    """Every move: who, when, from, to and the note."""
    return service.list_history(session, scope_of(principal), work_order_id, paging)


@router.get(ONE + "/checklist", response_model=list[schemas.ChecklistItemOut])
def checklist(work_order_id: uuid.UUID, session: DbSession,
              principal: Principal = READ) -> list[ChecklistItem]:
    return checklists.items_of(session, scope_of(principal), work_order_id)


@router.post(ONE + "/checklist/{checklist_item_id}",
             response_model=schemas.ChecklistItemOut)
def tick(work_order_id: uuid.UUID, checklist_item_id: uuid.UUID, body: schemas.TickIn,
         session: DbSession, principal: Principal = WRITE) -> ChecklistItem:
    """Tick (done: true) or untick an item."""
    return checklists.tick(session, scope_of(principal), work_order_id, checklist_item_id,
                           body.done)


@router.get(ONE + "/notes", response_model=Page[schemas.NoteOut])
def notes(work_order_id: uuid.UUID, session: DbSession, paging: Paging,
          principal: Principal = READ) -> Page[WorkOrderNote]:
    return files.list_notes(session, scope_of(principal), work_order_id, paging)


@router.post(ONE + "/notes", response_model=schemas.NoteOut, status_code=201)
def add_note(work_order_id: uuid.UUID, body: schemas.NoteIn, session: DbSession,
             principal: Principal = WRITE) -> WorkOrderNote:
    return files.add_note(session, scope_of(principal), work_order_id, body)


@router.get(ONE + "/attachments", response_model=Page[schemas.AttachmentOut])
def attachments(work_order_id: uuid.UUID, session: DbSession, paging: Paging,
                principal: Principal = READ) -> Page[WorkOrderAttachment]:
    return files.list_attachments(session, scope_of(principal), work_order_id, paging)


async def read_upload(request: Request, conf: SupportSettings) -> tuple[str, bytes, str]:
    """(filename, bytes, kind) of a multipart upload with one 'file' field."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise ValidationFailed("send the image as multipart/form-data in a field named 'file'")
    form = await request.form(max_files=1, max_fields=5)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise ValidationFailed("file: attach one image in a field named 'file'")
    data = await upload.read(conf.max_attachment_bytes + 1)
    kind = form.get("kind")
    return upload.filename or "", data, kind if isinstance(kind, str) else "photo"


@router.post(ONE + "/attachments", response_model=schemas.AttachmentOut, status_code=201,
             openapi_extra=UPLOAD_BODY)
async def upload(work_order_id: uuid.UUID, request: Request, session: DbSession,
                 conf: SupportConf, principal: Principal = WRITE) -> WorkOrderAttachment:
    """A photo (png, jpg, gif, webp) or the customer's signature (kind=signature, png)."""
    scope = scope_of(principal)
    service.get_work_order(session, scope, work_order_id)  # 404 before reading the body
    filename, data, kind = await read_upload(request, conf)
    if kind not in {k.value for k in AttachmentKind}:
        raise ValidationFailed("kind: photo or signature")
    return files.add_attachment(session, conf, scope, work_order_id, AttachmentKind(kind),
                                filename, data)


@router.get(ONE + "/attachments/{work_order_file_id}/content", response_class=Response)
def download(work_order_id: uuid.UUID, work_order_file_id: uuid.UUID, session: DbSession,
             conf: SupportConf, principal: Principal = READ) -> Response:
    attachment = files.get_attachment(session, scope_of(principal), work_order_id,
                                      work_order_file_id)
    return file_response(attachment, files.read(conf, attachment))  # type: ignore[arg-type]


@router.delete(ONE + "/attachments/{work_order_file_id}", status_code=204)
def delete_attachment(work_order_id: uuid.UUID, work_order_file_id: uuid.UUID, session: DbSession,
                      conf: SupportConf, principal: Principal = WRITE) -> Response:
    files.delete_attachment(session, conf, scope_of(principal), work_order_id,
                            work_order_file_id)
    return Response(status_code=204)


@templates_router.get("", response_model=list[schemas.ChecklistTemplateOut])
def list_templates(session: DbSession,
                   principal: Principal = READ) -> list[schemas.ChecklistTemplateOut]:
    """The checklist each kind of work order starts with."""
    return [schemas.ChecklistTemplateOut(kind=kind, items=items) for kind, items in
            checklists.templates(session, principal.tenant_id).items()]


@templates_router.put("", response_model=schemas.ChecklistTemplateOut)
def set_template(body: schemas.ChecklistTemplateIn, session: DbSession,
                 principal: Principal = DISPATCH) -> schemas.ChecklistTemplateOut:
    """Replace a kind's checklist; existing work orders keep theirs."""
    made = checklists.set_template(session, principal.tenant_id, body)
    return schemas.ChecklistTemplateOut.model_validate(made)


