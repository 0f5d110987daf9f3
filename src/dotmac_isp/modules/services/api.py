"""Plan catalogue and subscriptions JSON API."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from dotmac_isp.modules.identity.deps import AppSettings, DbSession, require
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.identity.principal import Principal
from dotmac_isp.modules.services import catalogue, importing, schemas, service
from dotmac_isp.modules.services.enums import PlanKind, SubscriptionStatus
from dotmac_isp.modules.services.models import (
    Plan,
    PlanAddon,
    ScheduledChange,
    Subscription,
    SubscriptionAddon,
    SubscriptionStatusChange,
)
from dotmac_isp.shared.csv_import import ImportReport, read_upload
from dotmac_isp.shared.pagination import Page, PageParams, page_params

router = APIRouter()
Paging = Annotated[PageParams, Depends(page_params)]
P = Permission


# Plans ---------------------------------------------------------------------------------

@router.get("/plans", response_model=Page[schemas.PlanOut], tags=["plans"])
def list_plans(session: DbSession, paging: Paging, kind: PlanKind | None = None,
               archived: bool | None = Query(False, description="omit for both"),
               principal: Principal = require(P.SERVICES_READ)) -> Page[Plan]:
    return catalogue.list_plans(session, principal.tenant_id, paging, kind=kind,
                                archived=archived)


@router.post("/plans", response_model=schemas.PlanOut, status_code=201, tags=["plans"])
def create_plan(body: schemas.PlanCreate, session: DbSession,
                principal: Principal = require(P.SERVICES_WRITE)) -> Plan:
    return catalogue.create_plan(session, principal.tenant_id, body)


@router.get("/plans/{plan_id}", response_model=schemas.PlanOut, tags=["plans"])
def get_plan(plan_id: uuid.UUID, session: DbSession,
             principal: Principal = require(P.SERVICES_READ)) -> Plan:
    return catalogue.get_plan(session, principal.tenant_id, plan_id)


@router.patch("/plans/{plan_id}", response_model=schemas.PlanOut, tags=["plans"])
def update_plan(plan_id: uuid.UUID, body: schemas.PlanUpdate, session: DbSession,
                principal: Principal = require(P.SERVICES_WRITE)) -> Plan:
    return catalogue.update_plan(session, principal.tenant_id, plan_id, body)


@router.post("/plans/{plan_id}/archive", response_model=schemas.PlanOut, tags=["plans"])
def archive_plan(plan_id: uuid.UUID, session: DbSession,
                 principal: Principal = require(P.SERVICES_WRITE)) -> Plan:
    """Stop selling the plan; subscriptions on it keep it."""
    return catalogue.set_archived(session, principal.tenant_id, plan_id, True)


@router.post("/plans/{plan_id}/unarchive", response_model=schemas.PlanOut, tags=["plans"])
def unarchive_plan(plan_id: uuid.UUID, session: DbSession,
                   principal: Principal = require(P.SERVICES_WRITE)) -> Plan:
    return catalogue.set_archived(session, principal.tenant_id, plan_id, False)


@router.get("/plan-addons", response_model=Page[schemas.AddonOut], tags=["plans"])
def list_addons(session: DbSession, paging: Paging,
                principal: Principal = require(P.SERVICES_READ)) -> Page[PlanAddon]:
    return catalogue.list_addons(session, principal.tenant_id, paging)


@router.post("/plan-addons", response_model=schemas.AddonOut, status_code=201, tags=["plans"])
def create_addon(body: schemas.AddonCreate, session: DbSession,
                 principal: Principal = require(P.SERVICES_WRITE)) -> PlanAddon:
    return catalogue.create_addon(session, principal.tenant_id, body)


@router.get("/plan-addons/{addon_id}", response_model=schemas.AddonOut, tags=["plans"])
def get_addon(addon_id: uuid.UUID, session: DbSession,
              principal: Principal = require(P.SERVICES_READ)) -> PlanAddon:
    return catalogue.get_addon(session, principal.tenant_id, addon_id)


@router.patch("/plan-addons/{addon_id}", response_model=schemas.AddonOut, tags=["plans"])
def update_addon(addon_id: uuid.UUID, body: schemas.AddonUpdate, session: DbSession,
                 principal: Principal = require(P.SERVICES_WRITE)) -> PlanAddon:
    return catalogue.update_addon(session, principal.tenant_id, addon_id, body)


# Subscriptions -------------------------------------------------------------------------

def _result(sub: Subscription, scheduled: ScheduledChange | None) -> schemas.TransitionResult:
    return schemas.TransitionResult(
        subscription=schemas.SubscriptionOut.of(sub),
        scheduled=schemas.ScheduledChangeOut.model_validate(scheduled) if scheduled else None)


@router.get("/subscriptions", response_model=Page[schemas.SubscriptionOut],
            tags=["subscriptions"])
def list_subscriptions(session: DbSession, paging: Paging,
                       customer_id: uuid.UUID | None = None,
                       status: SubscriptionStatus | None = None,
                       plan_id: uuid.UUID | None = None,
                       username: str | None = Query(None, max_length=64),
                       principal: Principal = require(P.SERVICES_READ),
                       ) -> Page[schemas.SubscriptionOut]:
    page = service.list_subscriptions(session, principal.tenant_id, paging,
                                      customer_id=customer_id, status=status, plan_id=plan_id,
                                      username=username)
    return page.map(schemas.SubscriptionOut.of)


@router.post("/subscriptions", response_model=schemas.SubscriptionOut, status_code=201,
             tags=["subscriptions"])
def create_subscription(body: schemas.SubscriptionCreate, session: DbSession,
                        settings: AppSettings, principal: Principal = require(P.SERVICES_WRITE),
                        ) -> schemas.SubscriptionOut:
    return schemas.SubscriptionOut.of(
        service.create_subscription(session, settings, principal.tenant_id, body))


@router.post("/subscriptions/import", response_model=ImportReport, tags=["subscriptions"])
async def import_subscriptions(request: Request, session: DbSession, settings: AppSettings,
                               dry_run: bool = False,
                               principal: Principal = require(P.SERVICES_WRITE),
                               ) -> ImportReport:
    """Move running subscriptions in from another system: a CSV (multipart field "file", or
    the body as text/csv) with customer, plan, radius_username, radius_password, started_on,
    next_billing_on, static_ip, status. Each line is reported; good lines go in, bad ones
    store nothing; nothing before next_billing_on is billed. dry_run checks and stores
    nothing."""
    text = await read_upload(request)
    return importing.import_subscriptions(session, settings, principal.tenant_id, text,
                                          dry_run=dry_run)


@router.get("/subscriptions/{subscription_id}", response_model=schemas.SubscriptionOut,
            tags=["subscriptions"])
def get_subscription(subscription_id: uuid.UUID, session: DbSession,
                     principal: Principal = require(P.SERVICES_READ)) -> schemas.SubscriptionOut:
    return schemas.SubscriptionOut.of(
        service.get_subscription(session, principal.tenant_id, subscription_id))


@router.patch("/subscriptions/{subscription_id}", response_model=schemas.SubscriptionOut,
              tags=["subscriptions"])
def update_subscription(subscription_id: uuid.UUID, body: schemas.SubscriptionUpdate,
                        session: DbSession, principal: Principal = require(P.SERVICES_WRITE),
                        ) -> schemas.SubscriptionOut:
    return schemas.SubscriptionOut.of(
        service.update_subscription(session, principal.tenant_id, subscription_id, body))


@router.post("/subscriptions/{subscription_id}/status",
             response_model=schemas.TransitionResult, tags=["subscriptions"],
             responses={409: {"description": "illegal transition"}})
def change_status(subscription_id: uuid.UUID, body: schemas.ServiceStatusUpdate,
                  session: DbSession, principal: Principal = require(P.SERVICES_WRITE),
                  ) -> schemas.TransitionResult:
    """Move the subscription: pending -> provisioning -> active <-> suspended -> terminated,
    provisioning -> failed -> provisioning. A future effective_at schedules the change."""
    return _result(*service.request_status(session, principal.tenant_id, subscription_id,
                                           body))


@router.post("/subscriptions/{subscription_id}/change-plan",
             response_model=schemas.TransitionResult, tags=["subscriptions"])
def change_plan(subscription_id: uuid.UUID, body: schemas.PlanChangeRequest,
                session: DbSession, principal: Principal = require(P.SERVICES_WRITE),
                ) -> schemas.TransitionResult:
    """Upgrade or downgrade now, at a future effective_at, or as of a past effective_at (at
    most 31 days back and not before the last change), prorated as of that date."""
    return _result(*service.change_plan(session, principal.tenant_id, subscription_id, body))


@router.get("/subscriptions/{subscription_id}/history",
            response_model=Page[schemas.StatusChangeOut], tags=["subscriptions"])
def subscription_history(subscription_id: uuid.UUID, session: DbSession, paging: Paging,
                         principal: Principal = require(P.SERVICES_READ),
                         ) -> Page[SubscriptionStatusChange]:
    return service.history(session, principal.tenant_id, subscription_id, paging)


@router.get("/subscriptions/{subscription_id}/scheduled-changes",
            response_model=Page[schemas.ScheduledChangeOut], tags=["subscriptions"])
def list_scheduled(subscription_id: uuid.UUID, session: DbSession, paging: Paging,
                   principal: Principal = require(P.SERVICES_READ)) -> Page[ScheduledChange]:
    return service.scheduled_changes(session, principal.tenant_id, subscription_id, paging)


@router.delete("/subscriptions/{subscription_id}/scheduled-changes/{change_id}",
               response_model=schemas.ScheduledChangeOut, tags=["subscriptions"])
def cancel_scheduled(subscription_id: uuid.UUID, change_id: uuid.UUID, session: DbSession,
                     principal: Principal = require(P.SERVICES_WRITE)) -> ScheduledChange:
    return service.cancel_scheduled(session, principal.tenant_id, subscription_id, change_id)


@router.get("/subscriptions/{subscription_id}/credentials", response_model=schemas.Credentials,
            tags=["subscriptions"])
def get_credentials(subscription_id: uuid.UUID, session: DbSession, settings: AppSettings,
                    principal: Principal = require(P.SERVICES_READ)) -> schemas.Credentials:
    """The RADIUS username and password (PAP and CHAP both need the password itself)."""
    return service.credentials(session, settings, principal.tenant_id, subscription_id)


@router.post("/subscriptions/{subscription_id}/credentials/reset",
             response_model=schemas.Credentials, tags=["subscriptions"])
def reset_credentials(subscription_id: uuid.UUID, session: DbSession, settings: AppSettings,
                      principal: Principal = require(P.SERVICES_WRITE)) -> schemas.Credentials:
    return service.reset_credentials(session, settings, principal.tenant_id, subscription_id)


@router.get("/subscriptions/{subscription_id}/addons",
            response_model=list[schemas.SubscriptionAddonOut], tags=["subscriptions"])
def list_subscription_addons(subscription_id: uuid.UUID, session: DbSession,
                             principal: Principal = require(P.SERVICES_READ),
                             ) -> list[SubscriptionAddon]:
    return service.list_addons(session, principal.tenant_id, subscription_id)


@router.post("/subscriptions/{subscription_id}/addons",
             response_model=schemas.SubscriptionAddonOut, status_code=201,
             tags=["subscriptions"])
def attach_addon(subscription_id: uuid.UUID, body: schemas.AddonAttach, session: DbSession,
                 principal: Principal = require(P.SERVICES_WRITE)) -> SubscriptionAddon:
    return service.attach_addon(session, principal.tenant_id, subscription_id, body)


@router.delete("/subscriptions/{subscription_id}/addons/{item_id}",
               response_model=schemas.SubscriptionAddonOut, tags=["subscriptions"])
def detach_addon(subscription_id: uuid.UUID, item_id: uuid.UUID, session: DbSession,
                 principal: Principal = require(P.SERVICES_WRITE)) -> SubscriptionAddon:
    return service.detach_addon(session, principal.tenant_id, subscription_id, item_id)
