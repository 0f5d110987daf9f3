"""Turning poll results into state: interfaces, rates, samples, reachability and events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.network.devices import credentials, events
from dotmac_isp.modules.network.devices.enums import DeviceStatus, Reachability
from dotmac_isp.modules.network.devices.models import Device, Interface
from dotmac_isp.modules.network.devices.polling import export, recording
from dotmac_isp.modules.network.devices.polling.cadence import status_due
from dotmac_isp.modules.network.devices.polling.poller import (
    PollResult,
    PollSpec,
    run_cycle,
)
from dotmac_isp.modules.network.devices.polling.reachability import next_reachability
from dotmac_isp.modules.network.devices.repository import DeviceRepository
from dotmac_isp.sdks.core.exceptions import ConfigurationError
from dotmac_isp.sdks.snmp import SnmpCredentials, SnmpTarget
from dotmac_isp.shared.errors import ValidationFailed
from dotmac_isp.shared.events import publish
from dotmac_isp.shared.types import utcnow

POLLED_STATUSES = (DeviceStatus.ACTIVE.value, DeviceStatus.MAINTENANCE.value)
_TRANSITIONS: dict[tuple[str, str], type[events.DeviceReachabilityChanged]] = {
    ("down", "up"): events.DeviceCameUp, ("down", "degraded"): events.DeviceCameUp,
    ("degraded", "up"): events.DeviceRecovered,
}


def _due(now: datetime) -> Any:
    return and_(Device.monitoring_enabled.is_(True), Device.management_ip.is_not(None),
                Device.status.in_(POLLED_STATUSES),
                or_(Device.next_poll_at.is_(None), Device.next_poll_at <= now))


def due_devices(session: Session, now: datetime, limit: int) -> list[Device]:
    """Devices of every tenant whose next poll is due, oldest first (read only)."""
    stmt = (select(Device).where(_due(now))
            .order_by(Device.next_poll_at.is_not(None), Device.next_poll_at).limit(limit))
    return list(session.scalars(stmt))


def claim_due(session: Session, now: datetime, limit: int, lease: timedelta) -> list[Device]:
    """Take up to `limit` due devices for this poller, oldest first (see claim_slots)."""
    return [device for device, _slot in claim_slots(session, now, limit, lease)]


def claim_slots(session: Session, now: datetime, limit: int,
                lease: timedelta) -> list[tuple[Device, datetime | None]]:
    """Take up to `limit` due devices for this poller, oldest first, each with the time it
    was due (None: never polled), which its next poll is counted from.

    Their next poll moves to now + lease, so no other poller takes them: recording the poll
    then sets the real next poll, and a device whose poller died is due again when the lease
    runs out. On PostgreSQL the rows are chosen FOR UPDATE SKIP LOCKED, so pollers claiming
    at the same moment take disjoint sets without waiting on each other; SQLite has a single
    writer, which serialises the claims. The update is conditional on the device still being
    due, so a row taken by another claimer in between is not taken twice.
    """
    due_rows = session.execute(
        select(Device.id, Device.next_poll_at).where(_due(now))
        .order_by(Device.next_poll_at.is_not(None), Device.next_poll_at)
        .limit(limit).with_for_update(skip_locked=True))
    chosen: dict[uuid.UUID, datetime | None] = {device_id: due for device_id, due in due_rows}
    if not chosen:
        return []
    stmt = (update(Device).where(Device.id.in_(list(chosen)), _due(now))
            .values(next_poll_at=now + lease).returning(Device)
            .execution_options(synchronize_session=False, populate_existing=True))
    return [(device, chosen[device.id]) for device in session.scalars(stmt)]


def snmp_target(settings: Settings, device: Device) -> SnmpTarget:
    creds = SnmpCredentials(
        version=device.snmp_version,
        community=credentials.unseal(settings, device.snmp_community_enc),
        username=device.snmp_username,
        auth_protocol=device.snmp_auth_protocol,
        auth_key=credentials.unseal(settings, device.snmp_auth_key_enc),
        priv_protocol=device.snmp_priv_protocol,
        priv_key=credentials.unseal(settings, device.snmp_priv_key_enc))
    return SnmpTarget(host=device.management_ip or "", port=device.snmp_port, credentials=creds,
                      timeout=device.snmp_timeout_ms / 1000, retries=device.snmp_retries)


def poll_spec(settings: Settings, device: Device, now: datetime,
              discovery_every: timedelta, status_every: timedelta = timedelta(0),
              interface_count: int | None = None) -> PollSpec:
    discovered = device.interfaces_discovered_at
    discover = discovered is None or now - discovered >= discovery_every
    return PollSpec(device_id=device.id, target=snmp_target(settings, device),
                    discover=discover,
                    cpu_oid=device.cpu_oid, memory_oid=device.memory_oid,
                    read_status=discover or status_due(device, now, status_every),
                    uptime_seconds=device.sys_uptime_seconds,
                    interface_count=interface_count)


def interface_counts(session: Session, device_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID,
                                                                                 int]:
    """How many interfaces each device has, in one query."""
    if not device_ids:
        return {}
    rows = session.execute(select(Interface.device_id, func.count()).where(
        Interface.device_id.in_(list(device_ids))).group_by(Interface.device_id))
    return {device_id: count for device_id, count in rows}


def specs_for(settings: Settings, devices: Sequence[Device], now: datetime,
              discovery_every: timedelta, status_every: timedelta = timedelta(0),
              counts: dict[uuid.UUID, int] | None = None,
              ) -> tuple[list[PollSpec], list[PollResult]]:
    """Poll specs, and failed results for devices whose credentials cannot be read."""
    specs, failed = [], []
    for device in devices:
        try:
            specs.append(poll_spec(settings, device, now, discovery_every, status_every,
                                   (counts or {}).get(device.id)))
        except ConfigurationError as exc:
            failed.append(PollResult(device.id, reachable=False, polled_at=now,
                                     error=exc.detail))
    return specs, failed


def _record_interfaces(writer: recording.BatchWriter, device: Device, result: PollResult,
                       known_list: list[Interface], restarted: bool,
                       changes: dict[str, Any]) -> list[Interface]:
    known = {i.if_index: i for i in known_list}
    seen = set()
    for reading in result.interfaces:
        seen.add(reading.if_index)
        interface = known.get(reading.if_index)
        if interface is None:
            if not result.discovered:
                changes["interfaces_discovered_at"] = None  # a new port: learn its name next poll
                continue
            # Ports up when first seen are watched; the rest (unused, shut) are not.
            interface = Interface(tenant_id=device.tenant_id, device_id=device.id,
                                  if_index=reading.if_index, monitored=reading.oper_status == 1,
                                  counter_bits=reading.counter_bits)
            writer.session.add(interface)
            known[reading.if_index] = interface
        writer.interface_read(device, interface, reading, result.polled_at, restarted,
                              result.discovered)
    if result.discovered:
        for index, interface in known.items():
            if index not in seen:
                writer.interface_gone(interface)
        changes["interfaces_discovered_at"] = result.polled_at
    return list(known.values())


def _degraded_reason(result: PollResult, interfaces: list[Interface]) -> str | None:
    if result.partial_errors:
        return result.partial_errors[0]
    down = [i.label for i in interfaces
            if i.monitored and i.admin_status == "up" and i.oper_status in ("down",
                                                                            "lower_layer_down")]
    if down:
        shown = ", ".join(down[:5]) + (f" and {len(down) - 5} more" if len(down) > 5 else "")
        return f"{len(down)} watched interface(s) down: {shown}"
    return None


def record_poll(session: Session, device: Device, result: PollResult) -> Reachability:
    """Store one poll's result on the device and its interfaces; publish what changed."""
    return record_polls(session, [(device, result)])[0]


def record_polls(session: Session,
                 polls: Sequence[tuple[Device, PollResult]]) -> list[Reachability]:
    """Store a batch of poll results (devices of any tenant) and publish what changed, in a
    number of statements that does not grow with the batch (see recording.py)."""
    interfaces_by_device = recording.interfaces_of(session, [d for d, _ in polls])
    writer = recording.BatchWriter(session)
    seen: list[tuple[Device, PollResult, list[Interface]]] = []
    for device, result in polls:
        changes, restarted = recording.device_changes(device, result)
        interfaces = interfaces_by_device[device.id]
        if result.reachable:
            interfaces = _record_interfaces(writer, device, result, interfaces, restarted,
                                            changes)
        writer.device_polled(device, result, changes)
        seen.append((device, result, interfaces))
    writer.flush()
    outcome = []
    polled: dict[uuid.UUID, list[events.DevicePolled]] = {}
    for device, result, interfaces in seen:
        previous = Reachability(device.reachability)
        reason = _degraded_reason(result, interfaces) if result.reachable else None
        current = next_reachability(previous, reachable=result.reachable,
                                    consecutive_failures=device.consecutive_failures,
                                    down_after=device.down_after_failures,
                                    degraded=reason is not None)
        if current != previous:
            device.reachability = current.value
            device.state_changed_at = result.polled_at
            session.flush()
            _announce(session, device, previous, current,
                      reason or device.last_poll_error or "")
        if result.reachable:
            polled.setdefault(device.tenant_id, []).append(events.DevicePolled(
                tenant_id=device.tenant_id, occurred_at=result.polled_at, device_id=device.id,
                device_name=device.name, cpu_pct=device.cpu_pct, memory_pct=device.memory_pct,
                interfaces=tuple(events.InterfaceUtilization(
                    interface_id=i.id, label=i.label, utilization_pct=i.utilization_pct)
                    for i in interfaces if i.monitored and i.utilization_pct is not None)))
        export.POLLS.labels("answered" if result.reachable else "unanswered").inc()
        export.COUNTERS.inc(result.counters_read)
        export.record_device(device, interfaces)
        outcome.append(current)
    for tenant_id, batch in polled.items():
        publish(session, events.DevicesPolled(tenant_id=tenant_id,
                                              occurred_at=batch[-1].occurred_at,
                                              polls=tuple(batch)))
    return outcome


def _announce(session: Session, device: Device, previous: Reachability, current: Reachability,
              reason: str) -> None:
    if current is Reachability.DOWN:
        kind: type[events.DeviceReachabilityChanged] = events.DeviceWentDown
    elif current is Reachability.DEGRADED and previous is not Reachability.DOWN:
        kind = events.DeviceDegraded
    else:
        kind = _TRANSITIONS.get((previous.value, current.value),
                                events.DeviceReachabilityChanged)
    publish(session, kind(tenant_id=device.tenant_id, occurred_at=device.state_changed_at
                          or utcnow(), device_id=device.id, device_name=device.name,
                          previous=previous.value, current=current.value, reason=reason))


def poll_now(session: Session, settings: Settings, tenant_id: uuid.UUID,
             device_id: uuid.UUID) -> Device:
    """Poll one device at once (with interface discovery) and record the result."""
    device = DeviceRepository(session, tenant_id).get(device_id)
    if not device.management_ip:
        raise ValidationFailed("the device has no management_ip to poll")
    spec = poll_spec(settings, device, utcnow(), timedelta(0))
    (result,) = run_cycle([spec], concurrency=1)
    record_poll(session, device, result)
    return device
