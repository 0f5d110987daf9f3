"""Alerts JSON API: alerts, alert rules, incidents and maintenance windows."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from dotmac_isp.modules.identity.deps import DbSession, require
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.identity.principal import Principal
from dotmac_isp.modules.network.alerts import rules, schemas, service
from dotmac_isp.modules.network.alerts.enums import AlertKind
from dotmac_isp.modules.network.alerts.models import (
    Alert,
    AlertRule,
    Incident,
    MaintenanceWindow,
)
from dotmac_isp.modules.network.devices.schemas import UTCTime
from dotmac_isp.shared.pagination import Page, PageParams, page_params

router = APIRouter()
Paging = Annotated[PageParams, Depends(page_params)]
READ, WRITE = require(Permission.NETWORK_READ), require(Permission.NETWORK_WRITE)


# Alerts --------------------------------------------------------------------------------

@router.get("/alerts", response_model=Page[schemas.AlertOut], tags=["alerts"])
def list_alerts(session: DbSession, paging: Paging,
                status: Literal["active", "open", "acknowledged", "resolved"] | None = Query(
                    None, description="active = open or acknowledged"),
                device_id: uuid.UUID | None = None, kind: AlertKind | None = None,
                include_silenced: bool = True,
                principal: Principal = READ) -> Page[Alert]:
    """Alerts, newest first. Silenced ones were raised inside a maintenance window."""
    return service.list_alerts(session, principal.tenant_id, paging, status=status,
                               device_id=device_id, kind=kind.value if kind else None,
                               include_silenced=include_silenced)


@router.get("/alerts/{alert_id}", response_model=schemas.AlertOut, tags=["alerts"])
def get_alert(alert_id: uuid.UUID, session: DbSession, principal: Principal = READ) -> Alert:
    return service.get_alert(session, principal.tenant_id, alert_id)


@router.post("/alerts/{alert_id}/acknowledge", response_model=schemas.AlertOut,
             tags=["alerts"])
def acknowledge_alert(alert_id: uuid.UUID, session: DbSession,
                      principal: Principal = WRITE) -> Alert:
    return service.acknowledge_alert(session, principal.tenant_id, alert_id, principal.label)


@router.post("/alerts/{alert_id}/resolve", response_model=schemas.AlertOut, tags=["alerts"])
def resolve_alert(alert_id: uuid.UUID, session: DbSession,
                  principal: Principal = WRITE) -> Alert:
    return service.resolve_alert(session, principal.tenant_id, alert_id)


# Alert rules ---------------------------------------------------------------------------

@router.get("/alert-rules", response_model=Page[schemas.AlertRuleOut], tags=["alert-rules"])
def list_rules(session: DbSession, paging: Paging,
               principal: Principal = READ) -> Page[AlertRule]:
    return rules.list_rules(session, principal.tenant_id, paging)


@router.post("/alert-rules", response_model=schemas.AlertRuleOut, status_code=201,
             tags=["alert-rules"])
def create_rule(body: schemas.AlertRuleCreate, session: DbSession,
                principal: Principal = WRITE) -> AlertRule:
    """A threshold on interface utilization, CPU or memory (%), held for duration_seconds
    before it fires, then quiet for cooldown_seconds."""
    return rules.create_rule(session, principal.tenant_id, body)


@router.get("/alert-rules/{rule_id}", response_model=schemas.AlertRuleOut,
            tags=["alert-rules"])
def get_rule(rule_id: uuid.UUID, session: DbSession, principal: Principal = READ) -> AlertRule:
    return rules.get_rule(session, principal.tenant_id, rule_id)


@router.patch("/alert-rules/{rule_id}", response_model=schemas.AlertRuleOut,
              tags=["alert-rules"])
def update_rule(rule_id: uuid.UUID, body: schemas.AlertRuleUpdate, session: DbSession,
                principal: Principal = WRITE) -> AlertRule:
    return rules.update_rule(session, principal.tenant_id, rule_id, body)


@router.delete("/alert-rules/{rule_id}", status_code=204, tags=["alert-rules"])
def delete_rule(rule_id: uuid.UUID, session: DbSession, principal: Principal = WRITE) -> Response:
    rules.delete_rule(session, principal.tenant_id, rule_id)
    return Response(status_code=204)


# Incidents -----------------------------------------------------------------------------

@router.get("/incidents", response_model=Page[schemas.IncidentOut], tags=["incidents"])
def list_incidents(session: DbSession, paging: Paging,
                   status: Literal["open", "resolved"] | None = None,
                   device_id: uuid.UUID | None = None,
                   subscription_id: uuid.UUID | None = Query(
                       None, description="incidents affecting this subscription"),
                   principal: Principal = READ) -> Page[Incident]:
    return service.list_incidents(session, principal.tenant_id, paging, status=status,
                                  device_id=device_id, subscription_id=subscription_id)


@router.get("/incidents/{incident_id}", response_model=schemas.IncidentOut, tags=["incidents"])
def get_incident(incident_id: uuid.UUID, session: DbSession,
                 principal: Principal = READ) -> Incident:
    return service.get_incident(session, principal.tenant_id, incident_id)


@router.patch("/incidents/{incident_id}", response_model=schemas.IncidentOut,
              tags=["incidents"])
def update_incident(incident_id: uuid.UUID, body: schemas.IncidentUpdate, session: DbSession,
                    principal: Principal = WRITE) -> Incident:
    return service.update_incident(session, principal.tenant_id, incident_id, body)


@router.post("/incidents/{incident_id}/resolve", response_model=schemas.IncidentOut,
             tags=["incidents"])
def resolve_incident(incident_id: uuid.UUID, session: DbSession,
                     principal: Principal = WRITE) -> Incident:
    return service.resolve_incident(session, principal.tenant_id, incident_id)


# Maintenance windows -------------------------------------------------------------------

@router.get("/maintenance-windows", response_model=Page[schemas.MaintenanceWindowOut],
            tags=["maintenance"])
def list_windows(session: DbSession, paging: Paging,
                 active_at: UTCTime | None = Query(None, description="only windows open then"),
                 principal: Principal = READ) -> Page[MaintenanceWindow]:
    return service.list_windows(session, principal.tenant_id, paging, active_at=active_at)


@router.post("/maintenance-windows", response_model=schemas.MaintenanceWindowOut,
             status_code=201, tags=["maintenance"])
def create_window(body: schemas.MaintenanceWindowCreate, session: DbSession,
                  principal: Principal = WRITE) -> MaintenanceWindow:
    """Silence alerts for a device, a site, or (neither given) the whole network."""
    return service.create_window(session, principal.tenant_id, body)


@router.get("/maintenance-windows/{window_id}", response_model=schemas.MaintenanceWindowOut,
            tags=["maintenance"])
def get_window(window_id: uuid.UUID, session: DbSession,
               principal: Principal = READ) -> MaintenanceWindow:
    return service.get_window(session, principal.tenant_id, window_id)


@router.patch("/maintenance-windows/{window_id}", response_model=schemas.MaintenanceWindowOut,
              tags=["maintenance"])
def update_window(window_id: uuid.UUID, body: schemas.MaintenanceWindowUpdate,
                  session: DbSession, principal: Principal = WRITE) -> MaintenanceWindow:
    return service.update_window(session, principal.tenant_id, window_id, body)


@router.delete("/maintenance-windows/{window_id}", status_code=204, tags=["maintenance"])
def delete_window(window_id: uuid.UUID, session: DbSession,
                  principal: Principal = WRITE) -> Response:
    service.delete_window(session, principal.tenant_id, window_id)
    return Response(status_code=204)
