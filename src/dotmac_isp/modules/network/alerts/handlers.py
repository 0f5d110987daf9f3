"""The alerts module's reactions to device events (imported by dotmac_isp.wiring)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dotmac_isp.modules.network.alerts import rules, service
from dotmac_isp.modules.network.alerts.enums import AlertKind
from dotmac_isp.modules.network.devices import service as devices_service
from dotmac_isp.modules.network.devices.events import (
    DeviceConfigChanged,
    DevicePolled,
    DeviceReachabilityChanged,
    DevicesPolled,
)
from dotmac_isp.shared.enums import Priority
from dotmac_isp.shared.events import on


@on(DeviceReachabilityChanged)
def on_reachability_changed(session: Session, event: DeviceReachabilityChanged) -> None:
    """Down: critical alert and an incident. Degraded: a lesser alert. Up: all cleared."""
    device = devices_service.find_device(session, event.tenant_id, event.device_id)
    if device is None:
        return
    now = event.occurred_at
    if event.current == "down":
        service.resolve_open(session, device.tenant_id, device.id, [AlertKind.DEVICE_DEGRADED],
                             now)
        silenced = service.is_silenced(session, device, now)
        incident = None if silenced else service.open_incident(session, device, now,
                                                               event.reason)
        service.raise_alert(session, device, kind=AlertKind.DEVICE_DOWN,
                            severity=Priority.CRITICAL.value, now=now, incident=incident,
                            message=f"{device.name} is down: {event.reason}")
        return
    service.resolve_open(session, device.tenant_id, device.id,
                         [AlertKind.DEVICE_DOWN, AlertKind.DEVICE_DEGRADED], now)
    service.resolve_incidents_of(session, device, now)
    if event.current == "degraded":
        service.raise_alert(session, device, kind=AlertKind.DEVICE_DEGRADED,
                            severity=Priority.MEDIUM.value, now=now,
                            message=f"{device.name} is degraded: {event.reason}")


@on(DevicePolled)
def on_device_polled(session: Session, event: DevicePolled) -> None:
    rules.evaluate(session, event)


@on(DevicesPolled)
def on_devices_polled(session: Session, event: DevicesPolled) -> None:
    rules.evaluate_many(session, event.tenant_id, event.polls)


@on(DeviceConfigChanged)
def on_config_changed(session: Session, event: DeviceConfigChanged) -> None:
    device = devices_service.find_device(session, event.tenant_id, event.device_id)
    if device is None:
        return
    service.raise_alert(
        session, device, kind=AlertKind.CONFIG_CHANGED, severity=Priority.NORMAL.value,
        now=event.occurred_at,
        message=f"{device.name}: configuration changed (version {event.version}, "
                f"+{event.lines_added}/-{event.lines_removed} lines)")
