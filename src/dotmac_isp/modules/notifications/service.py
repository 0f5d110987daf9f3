"""Notifications: send(...) for every module, tenant templates, and the delivery log.

    from dotmac_isp.modules.notifications import service as notifications
    notifications.send(session, tenant_id, "billing.invoice_issued", customer.email,
                       {"customer": {...}, "invoice": {...}, "tenant": {...}}, mail=settings.mail)

send() renders now and queues an outbox row in the caller's transaction: nothing goes out if
that transaction rolls back. With `mail` given, one attempt is made right after the commit;
the notifications.send_pending job sends whatever is still due, with backoff.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session

from dotmac_isp.config import MailSettings
from dotmac_isp.jobs import dispatch as jobs_dispatch
from dotmac_isp.modules.notifications import defaults, rendering, schemas, threads
from dotmac_isp.modules.notifications.enums import DeliveryStatus
from dotmac_isp.modules.notifications.models import (
    Delivery,
    DeliveryAttachment,
    NotificationTemplate,
)
from dotmac_isp.modules.notifications.outbox import deliver_after_commit
from dotmac_isp.modules.notifications.repository import DeliveryRepository, TemplateRepository
from dotmac_isp.modules.notifications.settings import (
    NotificationSettings,
    get_notification_settings,
)
from dotmac_isp.shared import bulk
from dotmac_isp.shared.db import after_commit
from dotmac_isp.shared.errors import Conflict, ValidationFailed
from dotmac_isp.shared.pagination import Page, PageParams
from dotmac_isp.shared.types import utcnow

log = logging.getLogger(__name__)


def event_spec(event_key: str) -> defaults.EventSpec:
    found = defaults.spec(event_key)
    if found is None:
        raise ValidationFailed(f"unknown notification event {event_key!r}; known: "
                               f"{', '.join(sorted(defaults.EVENTS))}")
    return found


def normalise_address(address: str) -> str:
    try:
        return validate_email(address.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationFailed(f"{address!r} is not an email address: {exc}") from exc


def effective_template(session: Session, tenant_id: uuid.UUID,
                       event_key: str) -> tuple[str, str, str | None, str]:
    """(subject, text, html, source) the tenant's active override or the built-in default."""
    spec = event_spec(event_key)
    own = TemplateRepository(session, tenant_id).by_event(event_key)
    if own is not None and own.is_active:
        return own.subject, own.body_text, own.body_html, "tenant"
    return spec.subject, spec.text, spec.html, "default"


def _render_for(event_key: str, template: tuple[str, str, str | None, str],
                context: dict[str, Any]) -> tuple[rendering.Rendered, str, str]:
    """(rendered, source, error): a broken tenant template falls back to the default."""
    subject, text, html, source = template
    error = ""
    try:
        rendered = rendering.render(subject, text, html, context)
    except rendering.RenderError as exc:
        if source == "default":
            raise
        # A broken tenant template must not stop the customer hearing from the ISP.
        spec = event_spec(event_key)
        rendered = rendering.render(spec.subject, spec.text, spec.html, context)
        source, error = "default", f"the tenant template failed ({exc}); sent the default"
    # Context comes from callers' data; a control character must not break the insert.
    return rendering.Rendered(
        subject=schemas.CONTROL.sub("", rendered.subject),
        text=schemas.CONTROL.sub("", rendered.text),
        html=schemas.CONTROL.sub("", rendered.html) if rendered.html else None), source, error


def send(session: Session, tenant_id: uuid.UUID, event_key: str, to: str,
         context: dict[str, Any], *, mail: MailSettings | None = None,
         thread: str | None = None, related_type: str = "", related_id: uuid.UUID | None = None,
         settings: NotificationSettings | None = None, now: datetime | None = None) -> Delivery:
    """Render the event's template for `to` and queue it; sent after commit or by the job.

    `thread` is a tag (threads.new_tag()) that routes emailed replies back to the sender.
    """
    conf = settings or get_notification_settings()
    now = now or utcnow()
    address = normalise_address(to)
    rendered, source, error = _render_for(event_key, effective_template(
        session, tenant_id, event_key), context)
    headers: dict[str, Any] = {}
    if thread:
        headers = {"reply_to": threads.reply_address(conf, thread),
                   "references": threads.thread_root(conf, thread),
                   "in_reply_to": threads.thread_root(conf, thread)}
    delivery = Delivery(
        event_key=event_key, to_address=address, subject=rendered.subject,
        body_text=rendered.text, body_html=rendered.html, headers=headers,
        message_id=threads.message_id(conf, thread), template_source=source,
        status=DeliveryStatus.QUEUED.value, max_attempts=conf.max_attempts,
        next_attempt_at=now, error=error, related_type=related_type, related_id=related_id,
        created_at=now)
    DeliveryRepository(session, tenant_id).add(delivery)
    jobs_dispatch.run_job_after_commit(session, "notifications.send_pending")
    if mail is not None and mail.smtp_host:
        after_commit(session, deliver_after_commit(session.get_bind(), delivery.id, mail,
                                                   timedelta(seconds=conf.lease_seconds)))
    return delivery


def attach(session: Session, tenant_id: uuid.UUID, delivery_id: uuid.UUID,
           files: list[tuple[str, str, bytes]]) -> None:
    """Files (name, content type, bytes) sent with a queued message, in the same transaction."""
    session.add_all([DeliveryAttachment(tenant_id=tenant_id, delivery_id=delivery_id,
                                        filename=name[:200], content_type=kind, content=data)
                     for name, kind, data in files])
    session.flush()


def queued_about(session: Session, tenant_id: uuid.UUID, event_key: str, related_type: str,
                 related_ids: list[uuid.UUID]) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(delivery id, related id) of the event's messages about these rows, in one query."""
    rows = session.execute(DeliveryRepository(session, tenant_id).select(
        Delivery.id, Delivery.related_id).where(
        Delivery.event_key == event_key, Delivery.related_type == related_type,
        Delivery.related_id.in_(related_ids)))
    return [(delivery_id, related_id) for delivery_id, related_id in rows
            if related_id is not None]


@dataclass(frozen=True)
class Outgoing:
    """One message of a bulk send: its recipient, context and what it is about."""

    to: str
    context: dict[str, Any]
    related_type: str = ""
    related_id: uuid.UUID | None = None


def queue_many(session: Session, tenant_id: uuid.UUID, event_key: str,
               messages: list[Outgoing], *, settings: NotificationSettings | None = None,
               now: datetime | None = None) -> int:
    """Queue many messages of one event with one INSERT; each renders as send() would render
    it, and the notifications.send_pending job sends them. A message whose address is not an
    email address is logged and left out. Returns how many were queued."""
    conf = settings or get_notification_settings()
    now = now or utcnow()
    template = effective_template(session, tenant_id, event_key)
    rows: list[dict[str, Any]] = []
    for message in messages:
        try:
            address = normalise_address(message.to)
        except ValidationFailed:
            log.warning("notification not queued: not an email address", extra={
                "event_key": event_key, "related_id": str(message.related_id)})
            continue
        rendered, source, error = _render_for(event_key, template, message.context)
        rows.append({"id": uuid.uuid4(), "tenant_id": tenant_id, "event_key": event_key,
                     "channel": "email", "to_address": address, "subject": rendered.subject,
                     "body_text": rendered.text, "body_html": rendered.html, "headers": {},
                     "message_id": threads.message_id(conf, None), "template_source": source,
                     "status": DeliveryStatus.QUEUED.value, "attempts": 0,
                     "max_attempts": conf.max_attempts, "next_attempt_at": now,
                     "error": error, "related_type": message.related_type,
                     "related_id": message.related_id, "created_at": now, "updated_at": now})
    bulk.insert_rows(session, Delivery, rows)
    jobs_dispatch.run_job_after_commit(session, "notifications.send_pending")
    return len(rows)


# Templates ----------------------------------------------------------------------------

def list_events(session: Session, tenant_id: uuid.UUID,
                params: PageParams) -> Page[schemas.EventOut]:
    keys = sorted(defaults.EVENTS)
    overridden = {t.event_key for t in TemplateRepository(session, tenant_id).list(
        PageParams(limit=len(keys) + 1)).items}
    chosen = keys[params.offset:params.offset + params.limit]
    items = [schemas.EventOut(key=k, description=defaults.EVENTS[k].description,
                              subject=defaults.EVENTS[k].subject,
                              body_text=defaults.EVENTS[k].text,
                              body_html=defaults.EVENTS[k].html,
                              sample_context=defaults.EVENTS[k].sample,
                              overridden=k in overridden) for k in chosen]
    return Page(items=items, total=len(keys), limit=params.limit, offset=params.offset)


def list_templates(session: Session, tenant_id: uuid.UUID,
                   params: PageParams) -> Page[NotificationTemplate]:
    repo = TemplateRepository(session, tenant_id)
    return repo.list(params, repo.ordered())


def get_template(session: Session, tenant_id: uuid.UUID,
                 template_id: uuid.UUID) -> NotificationTemplate:
    return TemplateRepository(session, tenant_id).get(template_id)


def create_template(session: Session, tenant_id: uuid.UUID,
                    data: schemas.TemplateCreate) -> NotificationTemplate:
    """Override an event's built-in template for this tenant (checked by rendering it)."""
    spec = event_spec(data.event_key)
    repo = TemplateRepository(session, tenant_id)
    if repo.by_event(data.event_key) is not None:
        raise Conflict(f"this tenant already has a template for {data.event_key}; change it")
    rendering.check(data.subject, data.body_text, data.body_html, spec.sample)
    return repo.add(NotificationTemplate(event_key=data.event_key, subject=data.subject,
                                         body_text=data.body_text, body_html=data.body_html,
                                         is_active=data.is_active))


def update_template(session: Session, tenant_id: uuid.UUID, template_id: uuid.UUID,
                    data: schemas.TemplateUpdate) -> NotificationTemplate:
    template = get_template(session, tenant_id, template_id)
    changes = data.model_dump(exclude_unset=True)
    for key in ("subject", "body_text", "is_active"):
        if changes.get(key) is not None:
            setattr(template, key, changes[key])
    if "body_html" in changes:
        template.body_html = changes["body_html"] or None
    rendering.check(template.subject, template.body_text, template.body_html,
                    event_spec(template.event_key).sample)
    session.flush()
    return template


def delete_template(session: Session, tenant_id: uuid.UUID, template_id: uuid.UUID) -> None:
    """Back to the built-in default."""
    repo = TemplateRepository(session, tenant_id)
    repo.delete(repo.get(template_id))


def preview(session: Session, tenant_id: uuid.UUID,
            data: schemas.PreviewIn) -> rendering.Rendered:
    spec = event_spec(data.event_key)
    subject, text, html, _source = effective_template(session, tenant_id, data.event_key)
    context = {**spec.sample, **(data.context or {})}
    try:
        return rendering.render(data.subject or subject, data.body_text or text,
                                data.body_html if data.body_html is not None else html,
                                context, strict=True)
    except rendering.RenderError as exc:
        raise ValidationFailed(f"the template does not render: {exc}") from exc


# Delivery log -------------------------------------------------------------------------

def list_deliveries(session: Session, tenant_id: uuid.UUID, params: PageParams, *,
                    status: str | None = None, event_key: str | None = None,
                    to: str | None = None, related_type: str | None = None,
                    related_id: uuid.UUID | None = None) -> Page[Delivery]:
    repo = DeliveryRepository(session, tenant_id)
    return repo.list(params, repo.search(status=status, event_key=event_key, to=to,
                                         related_type=related_type, related_id=related_id))


def get_delivery(session: Session, tenant_id: uuid.UUID, delivery_id: uuid.UUID) -> Delivery:
    return DeliveryRepository(session, tenant_id).get(delivery_id)


def retry_delivery(session: Session, tenant_id: uuid.UUID, delivery_id: uuid.UUID, *,
                   mail: MailSettings | None = None,
                   settings: NotificationSettings | None = None) -> Delivery:
    """Send a failed (or waiting) delivery again now, with one more attempt allowed."""
    conf = settings or get_notification_settings()
    delivery = DeliveryRepository(session, tenant_id).get(delivery_id, for_update=True)
    if delivery.status == DeliveryStatus.SENT:
        raise Conflict("this message was sent already")
    if delivery.status in (DeliveryStatus.QUEUED, DeliveryStatus.SENDING):
        raise Conflict(f"this message is {delivery.status} already")
    delivery.status = DeliveryStatus.QUEUED.value
    delivery.next_attempt_at = utcnow()
    delivery.max_attempts = max(delivery.max_attempts, delivery.attempts + 1)
    session.flush()
    if mail is not None and mail.smtp_host:
        after_commit(session, deliver_after_commit(session.get_bind(), delivery.id, mail,
                                                   timedelta(seconds=conf.lease_seconds)))
    return delivery


def related_deliveries(session: Session, tenant_id: uuid.UUID, related_type: str,
                       related_id: uuid.UUID, limit: int = 50) -> list[Delivery]:
    page = list_deliveries(session, tenant_id, PageParams(limit=limit),
                           related_type=related_type, related_id=related_id)
    return list(page.items)

