"""Attachments: size and type limits, bytes in the store, metadata on the ticket."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from pathlib import PurePath

from sqlalchemy.orm import Session

from dotmac_isp.modules.support import service, timeline
from dotmac_isp.modules.support.enums import EventKind, MessageKind
from dotmac_isp.modules.support.models import TicketAttachment
from dotmac_isp.modules.support.repository import AttachmentRepository, MessageRepository
from dotmac_isp.modules.support.settings import SupportSettings
from dotmac_isp.modules.support.storage import AttachmentStore, LocalDiskStore
from dotmac_isp.shared.db import after_commit
from dotmac_isp.shared.errors import AppError, ValidationFailed
from dotmac_isp.shared.pagination import Page, PageParams
from dotmac_isp.shared.types import utcnow

CONTENT_TYPES = {
    "pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
    "gif": "image/gif", "webp": "image/webp", "txt": "text/plain", "log": "text/plain",
    "csv": "text/csv", "json": "application/json", "zip": "application/zip",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "eml": "message/rfc822",
}
# The first bytes each binary type must start with, so a renamed executable is refused.
MAGIC: dict[str, tuple[bytes, ...]] = {
    "pdf": (b"%PDF-",), "png": (b"\x89PNG\r\n\x1a\n",), "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",), "gif": (b"GIF87a", b"GIF89a"), "zip": (b"PK\x03\x04",),
    "docx": (b"PK\x03\x04",), "xlsx": (b"PK\x03\x04",),
}
TEXT_TYPES = frozenset({"txt", "log", "csv", "json", "eml"})


class AttachmentTooLarge(AppError):
    """The file is larger than allowed."""

    status_code = 413
    code = "payload_too_large"


def store_for(settings: SupportSettings) -> AttachmentStore:
    return LocalDiskStore(settings.attachments_dir)


def clean_filename(name: str) -> str:
    base = PurePath(name.replace("\\", "/")).name.strip()
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>|:*?')
    if not cleaned or cleaned.startswith("."):
        raise ValidationFailed("file: give the file a name such as photo.jpg")
    return cleaned[-200:]


def check_file(settings: SupportSettings, filename: str, data: bytes) -> tuple[str, str]:
    """(clean name, content type) or a 4xx that says what is wrong."""
    name = clean_filename(filename)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    allowed = [t.lower() for t in settings.attachment_types]
    if extension not in allowed or extension not in CONTENT_TYPES:
        raise ValidationFailed(f"file: .{extension or '(none)'} files are not accepted; "
                               f"allowed: {', '.join(sorted(allowed))}")
    if len(data) > settings.max_attachment_bytes:
        raise AttachmentTooLarge(f"file: {name} is {len(data)} bytes; the limit is "
                                 f"{settings.max_attachment_bytes} bytes")
    if not data:
        raise ValidationFailed(f"file: {name} is empty")
    signatures = MAGIC.get(extension)
    if signatures and not data.startswith(signatures):
        raise ValidationFailed(f"file: {name} is not really a .{extension} file")
    if extension == "webp" and not (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        raise ValidationFailed(f"file: {name} is not really a .webp file")
    if extension in TEXT_TYPES:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationFailed(f"file: {name} is not UTF-8 text") from exc
        if "\x00" in text:
            raise ValidationFailed(f"file: {name} is not text")
    return name, CONTENT_TYPES[extension]


def add_attachment(session: Session, settings: SupportSettings, tenant_id: uuid.UUID,
                   ticket_id: uuid.UUID, filename: str, data: bytes, *,
                   message_id: uuid.UUID | None = None, uploaded_by: str = "",
                   now: datetime | None = None) -> TicketAttachment:
    """Check and store a file on a ticket (on one of its messages when message_id is given:
    customers see the files of public replies only)."""
    now = now or utcnow()
    ticket = service.get_ticket(session, tenant_id, ticket_id)
    if message_id is not None:
        message = MessageRepository(session, tenant_id).find(message_id)
        if message is None or message.ticket_id != ticket.id:
            raise ValidationFailed("message_id: no such message on this ticket")
    name, content_type = check_file(settings, filename, data)
    key = f"{tenant_id}/{ticket.id}/{uuid.uuid4().hex}"
    store_for(settings).put(key, data)
    attachment = AttachmentRepository(session, tenant_id).add(TicketAttachment(
        ticket_id=ticket.id, message_id=message_id, filename=name, content_type=content_type,
        size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest(), storage_key=key,
        uploaded_by=(uploaded_by or timeline.actor_of(session).label)[:254], created_at=now))
    timeline.record(session, ticket, EventKind.ATTACHMENT,
                    f"attached {name} ({len(data)} bytes)", now,
                    {"attachment_id": str(attachment.id)})
    session.flush()
    return attachment


def list_attachments(session: Session, tenant_id: uuid.UUID, ticket_id: uuid.UUID,
                     params: PageParams) -> Page[TicketAttachment]:
    ticket = service.get_ticket(session, tenant_id, ticket_id)
    repo = AttachmentRepository(session, tenant_id)
    return repo.list(params, repo.for_ticket(ticket.id))


def get_attachment(session: Session, tenant_id: uuid.UUID,
                   attachment_id: uuid.UUID) -> TicketAttachment:
    return AttachmentRepository(session, tenant_id).get(attachment_id)


def is_public(session: Session, attachment: TicketAttachment) -> bool:
    if attachment.message_id is None:
        return False
    message = MessageRepository(session, attachment.tenant_id).find(attachment.message_id)
    return message is not None and message.kind == MessageKind.REPLY


def read(settings: SupportSettings, attachment: TicketAttachment) -> bytes:
    return store_for(settings).get(attachment.storage_key)


def delete_attachment(session: Session, settings: SupportSettings, tenant_id: uuid.UUID,
                      attachment_id: uuid.UUID, *, now: datetime | None = None) -> None:
    repo = AttachmentRepository(session, tenant_id)
    attachment = repo.get(attachment_id)
    ticket = service.get_ticket(session, tenant_id, attachment.ticket_id)
    key = attachment.storage_key
    repo.delete(attachment)
    timeline.record(session, ticket, EventKind.ATTACHMENT, f"removed {attachment.filename}",
                    now or utcnow())
    session.flush()
    store = store_for(settings)
    after_commit(session, lambda: store.delete(key))  # the row may yet roll back
