"""Notifications JSON API: events and tenant templates, previews, the delivery log."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from dotmac_isp.modules.identity.deps import AppSettings, DbSession, require
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.identity.principal import Principal
from dotmac_isp.modules.notifications import schemas, service
from dotmac_isp.modules.notifications.enums import DeliveryStatus
from dotmac_isp.modules.notifications.models import Delivery, NotificationTemplate
from dotmac_isp.modules.notifications.schemas import NO_CONTROL
from dotmac_isp.shared.pagination import Page, PageParams, page_params

router = APIRouter(prefix="/notifications", tags=["notifications"])
Paging = Annotated[PageParams, Depends(page_params)]
P = Permission
READ, WRITE = require(P.TENANT_READ), require(P.TENANT_WRITE)


@router.get("/events", response_model=Page[schemas.EventOut])
def list_events(session: DbSession, paging: Paging,
                principal: Principal = READ) -> Page[schemas.EventOut]:
    """Every event a notification is sent for, with its built-in template and sample context."""
    return service.list_events(session, principal.tenant_id, paging)


@router.get("/templates", response_model=Page[schemas.TemplateOut])
def list_templates(session: DbSession, paging: Paging,
                   principal: Principal = READ) -> Page[NotificationTemplate]:
    """This tenant's own templates (events without one use the built-in default)."""
    return service.list_templates(session, principal.tenant_id, paging)


@router.post("/templates", response_model=schemas.TemplateOut, status_code=201)
def create_template(body: schemas.TemplateCreate, session: DbSession,
                    principal: Principal = WRITE) -> NotificationTemplate:
    """Override an event's template; it is rendered against the sample context first."""
    return service.create_template(session, principal.tenant_id, body)


@router.post("/templates/preview", response_model=schemas.PreviewOut)
def preview_template(body: schemas.PreviewIn, session: DbSession,
                     principal: Principal = READ) -> schemas.PreviewOut:
    """Render the effective (or the given) template with the sample context."""
    rendered = service.preview(session, principal.tenant_id, body)
    return schemas.PreviewOut(subject=rendered.subject, body_text=rendered.text,
                              body_html=rendered.html)


@router.get("/templates/{template_id}", response_model=schemas.TemplateOut)
def get_template(template_id: uuid.UUID, session: DbSession,
                 principal: Principal = READ) -> NotificationTemplate:
    return service.get_template(session, principal.tenant_id, template_id)


@router.patch("/templates/{template_id}", response_model=schemas.TemplateOut)
def update_template(template_id: uuid.UUID, body: schemas.TemplateUpdate, session: DbSession,
                    principal: Principal = WRITE) -> NotificationTemplate:
    return service.update_template(session, principal.tenant_id, template_id, body)


@router.delete("/templates/{template_id}", status_code=204)
def delete_template(template_id: uuid.UUID, session: DbSession,
                    principal: Principal = WRITE) -> Response:
    """Remove the override: the built-in default applies again."""
    service.delete_template(session, principal.tenant_id, template_id)
    return Response(status_code=204)


@router.get("/deliveries", response_model=Page[schemas.DeliverySummary])
def list_deliveries(session: DbSession, paging: Paging, status: DeliveryStatus | None = None,
                    event_key: str | None = Query(None, max_length=64, pattern=NO_CONTROL),
                    to: str | None = Query(None, max_length=254, pattern=NO_CONTROL),
                    related_type: str | None = Query(None, max_length=32, pattern=NO_CONTROL),
                    related_id: uuid.UUID | None = None,
                    principal: Principal = READ) -> Page[Delivery]:
    """The delivery log, newest first."""
    return service.list_deliveries(session, principal.tenant_id, paging, status=status,
                                   event_key=event_key, to=to, related_type=related_type,
                                   related_id=related_id)


@router.get("/deliveries/{delivery_id}", response_model=schemas.DeliveryOut)
def get_delivery(delivery_id: uuid.UUID, session: DbSession,
                 principal: Principal = READ) -> Delivery:
    return service.get_delivery(session, principal.tenant_id, delivery_id)


@router.post("/deliveries/{delivery_id}/retry", response_model=schemas.DeliveryOut)
def retry_delivery(delivery_id: uuid.UUID, session: DbSession, settings: AppSettings,
                   principal: Principal = WRITE) -> Delivery:
    """Send a failed or retrying message again now."""
    return service.retry_delivery(session, principal.tenant_id, delivery_id,
                                  mail=settings.mail)
