"""The forms of a work order's page (and of the technician's job page): edit, move,
schedule, tick, note, photo, signature. A refusal shows the page again with the reason
beside the field; nothing of a refused form is kept."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from dotmac_isp.modules.field import checklists, files, scheduling, schemas, service
from dotmac_isp.modules.field.enums import AttachmentKind, WorkOrderStatus
from dotmac_isp.modules.field.web_common import scope, zone_of
from dotmac_isp.modules.field.web_detail import detail_page
from dotmac_isp.modules.field.web_forms import SCHEDULE_LABELS, schedule_from
from dotmac_isp.modules.field.web_myday import job_page
from dotmac_isp.modules.identity.deps import AppSettings, DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.support.deps import SupportConf, attach
from dotmac_isp.shared.errors import AppError
from dotmac_isp.web.forms import FormErrors, all_or_nothing, form_errors, validate_form
from dotmac_isp.web.templating import flash, verify_csrf

router = APIRouter(prefix="/work-orders/{order_id}")
P = Permission
LABELS = {"description": "What to do", "address": "Address",
          "duration_minutes": "Expected minutes", "status": "Status", "note": "Note",
          "body": "Note", "file": "Photo", "signature": "Signature", "checklist": "Checklist",
          **SCHEDULE_LABELS}
STATUS_WORDS = {"en_route": "on the way", "on_site": "on site", "done": "done",
                "failed": "failed", "cancelled": "cancelled"}


def _back(form: dict[str, Any], order_id: uuid.UUID) -> str:
    if form.get("view") == "job":
        return f"/admin/field/my-day/{order_id}"
    return f"/admin/field/work-orders/{order_id}"


def _again(request: Request, session: Session, user: User, order_id: uuid.UUID,
           form: dict[str, Any], errors: FormErrors, status_code: int = 422) -> HTMLResponse:
    page = job_page if form.get("view") == "job" else detail_page
    return page(request, session, user, order_id, errors=errors, form=form,
                status_code=status_code)


def _run(request: Request, session: Session, user: User, order_id: uuid.UUID,
         form: dict[str, Any], call: Callable[[], object], done: str,
         field: str | None = None) -> Response:
    """Run the service call in a savepoint; on a refusal show the page with the reason."""
    errors = FormErrors(LABELS)
    status_code = 422
    try:
        all_or_nothing(session, call)
    except ValidationError as exc:
        errors.merge(form_errors(exc, LABELS))
    except AppError as exc:
        if exc.status_code == 404:
            raise
        errors.refusal(exc, field)
        status_code = exc.status_code
    if errors:
        return _again(request, session, user, order_id, form, errors, status_code)
    flash(request, done)
    return RedirectResponse(_back(form, order_id), status_code=303)


@router.post("/edit")
async def edit(request: Request, order_id: uuid.UUID, session: DbSession,
               user: User = page_permission(P.FIELD_WRITE)) -> Response:
    form = await verify_csrf(request)
    data = {k: str(form.get(k, "")) for k in ("description", "address", "duration_minutes")}
    update, errors = validate_form(schemas.WorkOrderUpdate, data, LABELS)
    if update is None:
        return _again(request, session, user, order_id, form, errors)
    valid = update
    return _run(request, session, user, order_id, form, lambda: service.update_work_order(
        session, scope(request), order_id, valid), "Work order saved.")


@router.post("/status")
async def change_status(request: Request, order_id: uuid.UUID, session: DbSession,
                        settings: AppSettings,
                        user: User = page_permission(P.FIELD_WRITE)) -> Response:
    form = await verify_csrf(request)
    target = str(form.get("status", ""))
    if target not in STATUS_WORDS:
        errors = FormErrors(LABELS)
        errors.add("status", "choose what happened")
        return _again(request, session, user, order_id, form, errors)
    return _run(request, session, user, order_id, form, lambda: service.change_status(
        session, scope(request), order_id, WorkOrderStatus(target),
        note=str(form.get("note", ""))[:2000], settings=settings),
        f"The work order is {STATUS_WORDS[target]}.", "status")


@router.post("/schedule")
async def schedule(request: Request, order_id: uuid.UUID, session: DbSession,
                   settings: AppSettings,
                   user: User = page_permission(P.FIELD_DISPATCH)) -> Response:
    form = await verify_csrf(request)
    data, errors = schedule_from(form, zone_of(session, user.tenant_id))
    if data is None:
        return _again(request, session, user, order_id, form, errors)
    valid = data
    return _run(request, session, user, order_id, form, lambda: scheduling.schedule(
        session, scope(request), order_id, valid, settings=settings), "Appointment booked.")


@router.post("/checklist/{item_id}")
async def tick(request: Request, order_id: uuid.UUID, item_id: uuid.UUID, session: DbSession,
               user: User = page_permission(P.FIELD_WRITE)) -> Response:
    form = await verify_csrf(request)
    done = str(form.get("done", "1")) == "1"
    return _run(request, session, user, order_id, form, lambda: checklists.tick(
        session, scope(request), order_id, item_id, done),
        "Ticked." if done else "Unticked.", "checklist")


@router.post("/notes")
async def add_note(request: Request, order_id: uuid.UUID, session: DbSession,
                   user: User = page_permission(P.FIELD_WRITE)) -> Response:
    form = await verify_csrf(request)
    return _run(request, session, user, order_id, form, lambda: files.add_note(
        session, scope(request), order_id, schemas.NoteIn(body=str(form.get("body", "")))),
        "Note added.")


@router.post("/photos")
async def add_photo(request: Request, order_id: uuid.UUID, session: DbSession,
                    conf: SupportConf,
                    user: User = page_permission(P.FIELD_WRITE)) -> Response:
    form = await verify_csrf(request)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors = FormErrors(LABELS)
        errors.add("file", "choose a photo to upload")
        return _again(request, session, user, order_id, form, errors)
    name, data = upload.filename, await upload.read(conf.max_attachment_bytes + 1)
    return _run(request, session, user, order_id, form, lambda: attach(
        lambda: files.add_attachment(session, conf, scope(request), order_id,
                                     AttachmentKind.PHOTO, name, data)), "Photo added.")


@router.post("/signature")
async def add_signature(request: Request, order_id: uuid.UUID, session: DbSession,
                        conf: SupportConf,
                        user: User = page_permission(P.FIELD_WRITE)) -> Response:
    form = await verify_csrf(request)

    def sign() -> object:
        png = files.signature_bytes(str(form.get("signature", "")), conf.max_attachment_bytes)
        return files.add_attachment(session, conf, scope(request), order_id,
                                    AttachmentKind.SIGNATURE, "signature.png", png)

    return _run(request, session, user, order_id, form, sign, "Signature saved.", "signature")
