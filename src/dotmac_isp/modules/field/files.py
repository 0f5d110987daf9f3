"""Notes, photos and the customer's signature on a work order. Files go through the support
module's attachment store and checks (size, a real image by its first bytes)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from dotmac_isp.modules.field import history, schemas
from dotmac_isp.modules.field.access import Scope
from dotmac_isp.modules.field.enums import FINAL, AttachmentKind, WorkOrderStatus
from dotmac_isp.modules.field.models import WorkOrder, WorkOrderAttachment, WorkOrderNote
from dotmac_isp.modules.field.repository import (
    AttachmentRepository,
    NoteRepository,
    WorkOrderRepository,
)
from dotmac_isp.modules.support import attachments as support_files
from dotmac_isp.modules.support.settings import SupportSettings
from dotmac_isp.shared.db import after_commit
from dotmac_isp.shared.errors import InvalidState, NotFound, ValidationFailed
from dotmac_isp.shared.pagination import Page, PageParams
from dotmac_isp.shared.types import utcnow

PHOTO_TYPES = ("png", "jpg", "jpeg", "gif", "webp")
SIGNATURE_TYPES = ("png",)
PNG_DATA_URL = "data:image/png;base64,"


def _open_order(session: Session, scope: Scope, work_order_id: uuid.UUID) -> WorkOrder:
    work_order = WorkOrderRepository(session, scope).get(work_order_id)
    if WorkOrderStatus(work_order.status) in FINAL:
        raise InvalidState(f"the work order is {work_order.status}; nothing more can be added")
    return work_order


def add_note(session: Session, scope: Scope, work_order_id: uuid.UUID, data: schemas.NoteIn,
             *, now: datetime | None = None) -> WorkOrderNote:
    work_order = WorkOrderRepository(session, scope).get(work_order_id)
    actor = history.actor_of(session)
    return NoteRepository(session, scope.tenant_id).add(WorkOrderNote(
        work_order_id=work_order.id, body=data.body.strip(),
        author_id=history.actor_user_id(session), author_label=actor.label[:254],
        created_at=now or utcnow()))


def list_notes(session: Session, scope: Scope, work_order_id: uuid.UUID,
               params: PageParams) -> Page[WorkOrderNote]:
    work_order = WorkOrderRepository(session, scope).get(work_order_id)
    repo = NoteRepository(session, scope.tenant_id)
    return repo.list(params, repo.for_order(work_order.id))


def image_settings(conf: SupportSettings, kind: AttachmentKind) -> SupportSettings:
    """The store's settings with only image types allowed (PNG only for a signature)."""
    allowed = SIGNATURE_TYPES if kind == AttachmentKind.SIGNATURE else PHOTO_TYPES
    return conf.model_copy(update={"attachment_types": allowed})


def add_attachment(session: Session, conf: SupportSettings, scope: Scope,
                   work_order_id: uuid.UUID, kind: AttachmentKind, filename: str, data: bytes,
                   *, now: datetime | None = None) -> WorkOrderAttachment:
    """Check and store a photo or signature on an open work order."""
    work_order = _open_order(session, scope, work_order_id)
    checked = image_settings(conf, kind)
    name, content_type = support_files.check_file(checked, filename, data)
    key = f"{scope.tenant_id}/work-orders/{work_order.id}/{uuid.uuid4().hex}"
    support_files.store_for(checked).put(key, data)
    return AttachmentRepository(session, scope.tenant_id).add(WorkOrderAttachment(
        work_order_id=work_order.id, kind=kind.value, filename=name,
        content_type=content_type, size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(), storage_key=key,
        uploaded_by=history.actor_of(session).label[:254], created_at=now or utcnow()))


def signature_bytes(data_url: str, max_bytes: int) -> bytes:
    """The PNG a signature canvas posts as a data: URL."""
    if not data_url.startswith(PNG_DATA_URL):
        raise ValidationFailed("signature: sign in the box first (a PNG drawing is expected)")
    encoded = data_url[len(PNG_DATA_URL):]
    if len(encoded) > (max_bytes * 4) // 3 + 4:
        raise support_files.AttachmentTooLarge(f"signature: the drawing is larger than "
                                               f"{max_bytes} bytes")
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationFailed("signature: the drawing did not arrive whole; sign again") \
            from exc


def list_attachments(session: Session, scope: Scope, work_order_id: uuid.UUID,
                     params: PageParams) -> Page[WorkOrderAttachment]:
    work_order = WorkOrderRepository(session, scope).get(work_order_id)
    repo = AttachmentRepository(session, scope.tenant_id)
    return repo.list(params, repo.for_order(work_order.id))


def get_attachment(session: Session, scope: Scope, work_order_id: uuid.UUID,
                   attachment_id: uuid.UUID) -> WorkOrderAttachment:
    work_order = WorkOrderRepository(session, scope).get(work_order_id)
    attachment = AttachmentRepository(session, scope.tenant_id).find(attachment_id)
    if attachment is None or attachment.work_order_id != work_order.id:
        raise NotFound("attachment not found")
    return attachment


def read(conf: SupportSettings, attachment: WorkOrderAttachment) -> bytes:
    return support_files.store_for(conf).get(attachment.storage_key)


def delete_attachment(session: Session, conf: SupportSettings, scope: Scope,
                      work_order_id: uuid.UUID, attachment_id: uuid.UUID) -> None:
    attachment = get_attachment(session, scope, work_order_id, attachment_id)
    _open_order(session, scope, work_order_id)
    key = attachment.storage_key
    AttachmentRepository(session, scope.tenant_id).delete(attachment)
    store = support_files.store_for(conf)
    after_commit(session, lambda: store.delete(key))  # the row may yet roll back
