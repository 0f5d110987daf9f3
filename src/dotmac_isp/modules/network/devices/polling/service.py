"""Turning poll results into state: interfaces, rates, samples, reachability and events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, or_, select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.network.devices import credentials, events
from dotmac_isp.modules.network.devices.enums import DeviceStatus, IfStatus, Reachability
from dotmac_isp.modules.network.devices.models import Device, Interface
from dotmac_isp.modules.network.devices.polling import export
from dotmac_isp.modules.network.devices.polling.models import DeviceSample, InterfaceSample
from dotmac_isp.modules.network.devices.polling.poller import (
    InterfaceReading,
    PollResult,
    PollSpec,
    run_cycle,
)
from dotmac_isp.modules.network.devices.polling.rates import rate_bps
from dotmac_isp.modules.network.devices.polling.reachability import next_reachability
from dotmac_isp.modules.network.devices.repository import DeviceRepository, InterfaceRepository
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


def due_devices(session: Session, now: datetime, limit: int) -> list[Device]:
    """Devices of every tenant whose next poll is due (the poller job's work list)."""
    stmt = (select(Device)
            .where(Device.monitoring_enabled.is_(True), Device.management_ip.is_not(None),
                   Device.status.in_(POLLED_STATUSES),
                   or_(Device.next_poll_at.is_(None), Device.next_poll_at <= now))
            .order_by(Device.next_poll_at.is_not(None), Device.next_poll_at)
            .limit(limit))
    return list(session.scalars(stmt))


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
              discovery_every: timedelta) -> PollSpec:
    discovered = device.interfaces_discovered_at
    return PollSpec(device_id=device.id, target=snmp_target(settings, device),
                    discover=discovered is None or now - discovered >= discovery_every,
                    cpu_oid=device.cpu_oid, memory_oid=device.memory_oid)


def specs_for(settings: Settings, devices: Sequence[Device], now: datetime,
              discovery_every: timedelta) -> tuple[list[PollSpec], list[PollResult]]:
    """Poll specs, and failed results for devices whose credentials cannot be read."""
    specs, failed = [], []
    for device in devices:
        try:
            specs.append(poll_spec(settings, device, now, discovery_every))
        except ConfigurationError as exc:
            failed.append(PollResult(device.id, reachable=False, polled_at=now,
                                     error=exc.detail))
    return specs, failed


def _status(value: int | None) -> str:
    return IfStatus.from_snmp(value).value


def _apply_reading(interface: Interface, reading: InterfaceReading, now: datetime,
                   restarted: bool, discovered: bool) -> None:
    if discovered:
        interface.name = (reading.name or "")[:200]
        interface.description = (reading.description or "")[:255]
        interface.alias = (reading.alias or "")[:255]
        interface.speed_mbps = reading.speed_mbps
    oper = _status(reading.oper_status)
    if oper != interface.oper_status:
        interface.last_change_at = now
    interface.oper_status = oper
    interface.admin_status = _status(reading.admin_status)
    seconds = ((now - interface.last_counter_at).total_seconds()
               if interface.last_counter_at else 0.0)
    speed = interface.speed_mbps * 1_000_000 if interface.speed_mbps else None
    reset = restarted or interface.counter_bits != reading.counter_bits
    interface.in_bps = rate_bps(interface.last_in_octets, reading.in_octets, seconds,
                                bits=reading.counter_bits, speed_bps=speed, restarted=reset)
    interface.out_bps = rate_bps(interface.last_out_octets, reading.out_octets, seconds,
                                 bits=reading.counter_bits, speed_bps=speed, restarted=reset)
    interface.last_in_octets = reading.in_octets
    interface.last_out_octets = reading.out_octets
    interface.counter_bits = reading.counter_bits
    interface.last_counter_at = now


def _record_interfaces(session: Session, device: Device, result: PollResult,
                       restarted: bool) -> list[Interface]:
    repo = InterfaceRepository(session, device.tenant_id)
    known = {i.if_index: i for i in repo.all_of_device(device.id)}
    sampled: list[Interface] = []
    seen = set()
    for reading in result.interfaces:
        seen.add(reading.if_index)
        interface = known.get(reading.if_index)
        if interface is None:
            if not result.discovered:
                device.interfaces_discovered_at = None  # a new port: learn its name next poll
                continue
            # Ports up when first seen are watched; the rest (unused, shut) are not.
            interface = Interface(tenant_id=device.tenant_id, device_id=device.id,
                                  if_index=reading.if_index, monitored=reading.oper_status == 1,
                                  counter_bits=reading.counter_bits)
            session.add(interface)
            known[reading.if_index] = interface
        _apply_reading(interface, reading, result.polled_at, restarted, result.discovered)
        if interface.in_bps is not None and interface.out_bps is not None:
            sampled.append(interface)
    if result.discovered:
        for index, interface in known.items():
            if index not in seen:
                interface.oper_status = IfStatus.NOT_PRESENT.value
        device.interfaces_discovered_at = result.polled_at
    session.flush()
    rows: list[dict[str, Any]] = [
        {"tenant_id": device.tenant_id, "interface_id": i.id, "sampled_at": result.polled_at,
         "in_bps": i.in_bps, "out_bps": i.out_bps, "oper_up": i.oper_status == "up"}
        for i in sampled]
    if rows:
        session.execute(insert(InterfaceSample), rows)
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
    now = result.polled_at
    device.last_polled_at = now
    device.next_poll_at = now + timedelta(seconds=device.poll_interval_seconds)
    previous = Reachability(device.reachability)
    interfaces: list[Interface] = []
    reason: str | None = None
    if result.reachable:
        uptime = None if result.sys_uptime_ticks is None else result.sys_uptime_ticks // 100
        restarted = (uptime is not None and device.sys_uptime_seconds is not None
                     and uptime < device.sys_uptime_seconds)
        device.consecutive_failures = 0
        device.last_seen_at = now
        device.response_ms = result.response_ms
        device.sys_descr = result.sys_descr
        device.sys_name = (result.sys_name or "")[:255] or None
        device.sys_uptime_seconds = uptime
        device.cpu_pct = result.cpu_pct
        device.memory_pct = result.memory_pct
        interfaces = _record_interfaces(session, device, result, restarted)
        reason = _degraded_reason(result, interfaces)
        device.last_poll_error = "; ".join(result.partial_errors)[:500] or None
    else:
        device.consecutive_failures += 1
        device.response_ms = None
        device.last_poll_error = (result.error or "no answer")[:500]
        interfaces = InterfaceRepository(session, device.tenant_id).all_of_device(device.id)
    session.add(DeviceSample(tenant_id=device.tenant_id, device_id=device.id, sampled_at=now,
                             reachable=result.reachable, response_ms=result.response_ms,
                             cpu_pct=result.cpu_pct, memory_pct=result.memory_pct))
    current = next_reachability(previous, reachable=result.reachable,
                                consecutive_failures=device.consecutive_failures,
                                down_after=device.down_after_failures,
                                degraded=reason is not None)
    session.flush()
    if current != previous:
        device.reachability = current.value
        device.state_changed_at = now
        session.flush()
        _announce(session, device, previous, current, reason or device.last_poll_error or "")
    if result.reachable:
        publish(session, events.DevicePolled(
            tenant_id=device.tenant_id, occurred_at=now, device_id=device.id,
            device_name=device.name, cpu_pct=device.cpu_pct, memory_pct=device.memory_pct,
            interfaces=tuple(events.InterfaceUtilization(
                interface_id=i.id, label=i.label, utilization_pct=i.utilization_pct)
                for i in interfaces if i.monitored and i.utilization_pct is not None)))
    export.POLLS.labels("answered" if result.reachable else "unanswered").inc()
    export.COUNTERS.inc(result.counters_read)
    export.record_device(device, interfaces)
    return current


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
