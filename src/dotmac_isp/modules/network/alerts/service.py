"""Alerts, incidents and maintenance windows. Services flush; callers commit."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy.orm import Session

from dotmac_isp.modules.network.alerts import events, schemas
from dotmac_isp.modules.network.alerts.enums import AlertKind, AlertStatus, IncidentStatus
from dotmac_isp.modules.network.alerts.models import Alert, Incident, MaintenanceWindow
from dotmac_isp.modules.network.alerts.repository import (
    AlertRepository,
    IncidentRepository,
    MaintenanceWindowRepository,
)
from dotmac_isp.modules.network.devices import service as devices_service
from dotmac_isp.modules.network.devices.models import Device
from dotmac_isp.modules.network.topology import views as topology
from dotmac_isp.shared import references
from dotmac_isp.shared.errors import Conflict, ValidationFailed
from dotmac_isp.shared.events import publish
from dotmac_isp.shared.pagination import Page, PageParams
from dotmac_isp.shared.types import utcnow

OPEN_STATUSES = (AlertStatus.OPEN.value, AlertStatus.ACKNOWLEDGED.value)


# Maintenance windows -------------------------------------------------------------------

def active_window(session: Session, device: Device, now: datetime) -> MaintenanceWindow | None:
    """The maintenance window covering this device now, if any."""
    repo = MaintenanceWindowRepository(session, device.tenant_id)
    W = MaintenanceWindow
    scope = [W.device_id == device.id, (W.device_id.is_(None) & W.site_id.is_(None))]
    if device.site_id is not None:
        scope.append(W.site_id == device.site_id)
    stmt = repo.select().where(W.starts_at <= now, W.ends_at > now, or_(*scope)).limit(1)
    return session.scalars(stmt).first()


def is_silenced(session: Session, device: Device, now: datetime) -> bool:
    return device.status == "maintenance" or active_window(session, device, now) is not None


def check_scope(session: Session, tenant_id: uuid.UUID, device_id: uuid.UUID | None,
                 site_id: uuid.UUID | None) -> None:
    references.optional(session, partial(devices_service.find_device, session, tenant_id),
                        device_id, "device_id", "device")
    references.optional(session, partial(devices_service.find_site, session, tenant_id),
                        site_id, "site_id", "site")


def list_windows(session: Session, tenant_id: uuid.UUID, params: PageParams, *,
                 active_at: datetime | None = None) -> Page[MaintenanceWindow]:
    repo = MaintenanceWindowRepository(session, tenant_id)
    stmt = repo.select().order_by(MaintenanceWindow.starts_at.desc())
    if active_at is not None:
        stmt = stmt.where(MaintenanceWindow.starts_at <= active_at,
                          MaintenanceWindow.ends_at > active_at)
    return repo.list(params, stmt)


def get_window(session: Session, tenant_id: uuid.UUID,
               window_id: uuid.UUID) -> MaintenanceWindow:
    return MaintenanceWindowRepository(session, tenant_id).get(window_id)


def create_window(session: Session, tenant_id: uuid.UUID,
                  data: schemas.MaintenanceWindowCreate) -> MaintenanceWindow:
    """Plan maintenance: alerts for the devices in scope are silenced while it lasts."""
    check_scope(session, tenant_id, data.device_id, data.site_id)
    return MaintenanceWindowRepository(session, tenant_id).add(
        MaintenanceWindow(**data.model_dump()))


def update_window(session: Session, tenant_id: uuid.UUID, window_id: uuid.UUID,
                  data: schemas.MaintenanceWindowUpdate) -> MaintenanceWindow:
    window = get_window(session, tenant_id, window_id)
    for key, value in data.model_dump(exclude_none=True).items():
        setattr(window, key, value)
    if window.ends_at <= window.starts_at:
        raise ValidationFailed("ends_at must be after starts_at")
    session.flush()
    return window


def delete_window(session: Session, tenant_id: uuid.UUID, window_id: uuid.UUID) -> None:
    repo = MaintenanceWindowRepository(session, tenant_id)
    repo.delete(repo.get(window_id))


# Alerts --------------------------------------------------------------------------------

def raise_alert(session: Session, device: Device, *, kind: AlertKind, severity: str,
                message: str, now: datetime, value: float | None = None,
                interface_id: uuid.UUID | None = None, rule_id: uuid.UUID | None = None,
                incident: Incident | None = None) -> Alert:
    """Record an alert; outside maintenance it is announced with AlertRaised."""
    alert = AlertRepository(session, device.tenant_id).add(Alert(
        kind=kind.value, severity=severity, message=message[:500], value=value,
        device_id=device.id, interface_id=interface_id, rule_id=rule_id,
        incident_id=incident.id if incident else None, raised_at=now,
        silenced=is_silenced(session, device, now)))
    if not alert.silenced:
        publish(session, events.AlertRaised(
            tenant_id=device.tenant_id, occurred_at=now, alert_id=alert.id, kind=alert.kind,
            severity=alert.severity, message=alert.message, device_id=device.id,
            incident_id=alert.incident_id))
    return alert


def open_alerts(session: Session, tenant_id: uuid.UUID, device_id: uuid.UUID,
                kinds: Iterable[AlertKind]) -> list[Alert]:
    repo = AlertRepository(session, tenant_id)
    return list(session.scalars(repo.select().where(
        Alert.device_id == device_id, Alert.kind.in_([k.value for k in kinds]),
        Alert.status.in_(OPEN_STATUSES))))


def resolve_open(session: Session, tenant_id: uuid.UUID, device_id: uuid.UUID,
                 kinds: Iterable[AlertKind], now: datetime) -> int:
    alerts = open_alerts(session, tenant_id, device_id, kinds)
    for alert in alerts:
        alert.status, alert.resolved_at = AlertStatus.RESOLVED.value, now
    session.flush()
    return len(alerts)


def list_alerts(session: Session, tenant_id: uuid.UUID, params: PageParams, *,
                status: str | None = None, device_id: uuid.UUID | None = None,
                kind: str | None = None, include_silenced: bool = True) -> Page[Alert]:
    repo = AlertRepository(session, tenant_id)
    stmt = repo.select().order_by(Alert.raised_at.desc(), Alert.id)
    if status == "active":
        stmt = stmt.where(Alert.status.in_(OPEN_STATUSES))
    elif status is not None:
        stmt = stmt.where(Alert.status == status)
    if device_id is not None:
        stmt = stmt.where(Alert.device_id == device_id)
    if kind is not None:
        stmt = stmt.where(Alert.kind == kind)
    if not include_silenced:
        stmt = stmt.where(Alert.silenced.is_(False))
    return repo.list(params, stmt)


def get_alert(session: Session, tenant_id: uuid.UUID, alert_id: uuid.UUID) -> Alert:
    return AlertRepository(session, tenant_id).get(alert_id)


def acknowledge_alert(session: Session, tenant_id: uuid.UUID, alert_id: uuid.UUID,
                      who: str) -> Alert:
    """Someone is on it: the alert stays until its cause clears."""
    alert = get_alert(session, tenant_id, alert_id)
    if alert.status == AlertStatus.RESOLVED.value:
        raise Conflict("the alert is already resolved")
    if alert.status == AlertStatus.OPEN.value:
        alert.status = AlertStatus.ACKNOWLEDGED.value
        alert.acknowledged_at, alert.acknowledged_by = utcnow(), who[:254]
        session.flush()
    return alert


def resolve_alert(session: Session, tenant_id: uuid.UUID, alert_id: uuid.UUID) -> Alert:
    """Close an alert by hand (a cleared condition closes its alert by itself)."""
    alert = get_alert(session, tenant_id, alert_id)
    if alert.status != AlertStatus.RESOLVED.value:
        alert.status, alert.resolved_at = AlertStatus.RESOLVED.value, utcnow()
        session.flush()
    return alert


# Incidents -----------------------------------------------------------------------------

def _next_reference(session: Session, tenant_id: uuid.UUID) -> str:
    repo = IncidentRepository(session, tenant_id)
    count = session.scalar(repo.select(func.count(Incident.id))) or 0
    return f"INC-{count + 1:06d}"


def open_incident(session: Session, device: Device, now: datetime, reason: str) -> Incident:
    """An outage of this device, with the devices and subscriptions behind it: below it by
    configured uplinks, or cut off from the core by it over discovered links (see
    topology.impact for the direction)."""
    repo = IncidentRepository(session, device.tenant_id)
    existing = session.scalars(repo.select().where(
        Incident.device_id == device.id, Incident.status == IncidentStatus.OPEN.value)).first()
    if existing is not None:
        return existing
    tree = topology.devices_behind(session, device.tenant_id, device.id)
    subscriptions = sorted({str(d.subscription_id) for d in tree if d.subscription_id})
    incident = repo.add(Incident(
        reference=_next_reference(session, device.tenant_id),
        title=f"{device.name} is down"[:300], status=IncidentStatus.OPEN.value,
        device_id=device.id, device_name=device.name, opened_at=now,
        affected_device_ids=[str(d.id) for d in tree], affected_subscription_ids=subscriptions,
        notes=reason[:2000]))
    publish(session, events.IncidentOpened(
        tenant_id=device.tenant_id, occurred_at=now, incident_id=incident.id,
        reference=incident.reference, device_id=device.id,
        subscription_ids=tuple(uuid.UUID(s) for s in subscriptions)))
    return incident


def resolve_incidents_of(session: Session, device: Device, now: datetime) -> int:
    repo = IncidentRepository(session, device.tenant_id)
    incidents = list(session.scalars(repo.select().where(
        Incident.device_id == device.id, Incident.status == IncidentStatus.OPEN.value)))
    for incident in incidents:
        _close(session, incident, now)
    return len(incidents)


def _close(session: Session, incident: Incident, now: datetime) -> None:
    incident.status, incident.resolved_at = IncidentStatus.RESOLVED.value, now
    session.flush()
    publish(session, events.IncidentResolved(tenant_id=incident.tenant_id, occurred_at=now,
                                             incident_id=incident.id,
                                             reference=incident.reference))


def list_incidents(session: Session, tenant_id: uuid.UUID, params: PageParams, *,
                   status: str | None = None, device_id: uuid.UUID | None = None,
                   subscription_id: uuid.UUID | None = None) -> Page[Incident]:
    repo = IncidentRepository(session, tenant_id)
    stmt = repo.select().order_by(Incident.opened_at.desc(), Incident.id)
    if status is not None:
        stmt = stmt.where(Incident.status == status)
    if device_id is not None:
        stmt = stmt.where(Incident.device_id == device_id)
    if subscription_id is None:
        return repo.list(params, stmt)
    # JSON containment differs by database; the open set is small, so filter here.
    wanted = str(subscription_id)
    matches = [i for i in session.scalars(stmt) if wanted in (i.affected_subscription_ids or [])]
    chunk = matches[params.offset:params.offset + params.limit]
    return Page(items=chunk, total=len(matches), limit=params.limit, offset=params.offset)


def get_incident(session: Session, tenant_id: uuid.UUID, incident_id: uuid.UUID) -> Incident:
    return IncidentRepository(session, tenant_id).get(incident_id)


def update_incident(session: Session, tenant_id: uuid.UUID, incident_id: uuid.UUID,
                    data: schemas.IncidentUpdate) -> Incident:
    incident = get_incident(session, tenant_id, incident_id)
    for key, value in data.model_dump(exclude_none=True).items():
        setattr(incident, key, value)
    session.flush()
    return incident


def resolve_incident(session: Session, tenant_id: uuid.UUID, incident_id: uuid.UUID) -> Incident:
    """Close an incident by hand."""
    incident = get_incident(session, tenant_id, incident_id)
    if incident.status != IncidentStatus.RESOLVED.value:
        _close(session, incident, utcnow())
    return incident


def alerts_of_incident(session: Session, incident: Incident) -> list[Alert]:
    repo = AlertRepository(session, incident.tenant_id)
    return list(session.scalars(repo.select().where(Alert.incident_id == incident.id)))


def summary_counts(session: Session, tenant_id: uuid.UUID) -> dict[str, Any]:
    """Open alert counts by severity, for the pages."""
    repo = AlertRepository(session, tenant_id)
    rows = session.execute(repo.select(Alert.severity, func.count(Alert.id)).where(
        Alert.status.in_(OPEN_STATUSES), Alert.silenced.is_(False)).group_by(Alert.severity))
    return {severity: count for severity, count in rows}

