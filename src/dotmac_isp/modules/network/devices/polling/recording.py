"""Recording a batch of poll results in a bounded number of statements, whatever its size.

The interfaces of every device of the batch are read in one query; the poll state of devices
and interfaces (counters, rates, status, timestamps) is written with one executemany each,
always the same columns so the whole batch is one statement; samples go in by COPY (bulk
INSERT on SQLite). Only what is rare goes through the ORM: a new interface found by
discovery, a device whose reachability changed (its events and alerts follow).

Poll state is not an edit of the record: these writes leave updated_at and the audit log
alone, as the models' audit exclusions already say.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from dotmac_isp.modules.network.devices.enums import IfStatus
from dotmac_isp.modules.network.devices.models import Device, Interface
from dotmac_isp.modules.network.devices.polling.models import DeviceSample, InterfaceSample
from dotmac_isp.modules.network.devices.polling.poller import InterfaceReading, PollResult
from dotmac_isp.modules.network.devices.polling.rates import rate_bps
from dotmac_isp.shared import bulk

# Poll state columns written for every device and interface of a batch.
DEVICE_STATE = ("last_polled_at", "next_poll_at", "consecutive_failures", "last_seen_at",
                "response_ms", "sys_descr", "sys_name", "sys_uptime_seconds", "cpu_pct",
                "memory_pct", "last_poll_error", "interfaces_discovered_at")
INTERFACE_STATE = ("admin_status", "oper_status", "last_change_at", "in_bps", "out_bps",
                   "last_in_octets", "last_out_octets", "counter_bits", "last_counter_at")
DISCOVERED = ("name", "description", "alias", "speed_mbps")


def interfaces_of(session: Session, devices: Sequence[Device]) -> dict[uuid.UUID,
                                                                        list[Interface]]:
    """The interfaces of every device given, by device, in one query."""
    found: dict[uuid.UUID, list[Interface]] = {d.id: [] for d in devices}
    if not found:
        return found
    for interface in session.scalars(select(Interface).where(
            Interface.device_id.in_(list(found))).order_by(Interface.device_id,
                                                           Interface.if_index)):
        found[interface.device_id].append(interface)
    return found


def _status(value: int | None) -> str:
    return IfStatus.from_snmp(value).value


def _reading_state(interface: Interface, reading: InterfaceReading, now: datetime,
                   restarted: bool, discovered: bool) -> dict[str, Any]:
    """The interface's poll state after this reading (the interface itself is not changed)."""
    state: dict[str, Any] = {}
    if discovered:
        state.update(name=(reading.name or "")[:200],
                     description=(reading.description or "")[:255],
                     alias=(reading.alias or "")[:255], speed_mbps=reading.speed_mbps)
    speed_mbps = state.get("speed_mbps", interface.speed_mbps)
    # a counters-only poll says nothing of status: the last status read stands
    admin = _status(reading.admin_status) if reading.status_read else interface.admin_status
    oper = _status(reading.oper_status) if reading.status_read else interface.oper_status
    seconds = ((now - interface.last_counter_at).total_seconds()
               if interface.last_counter_at else 0.0)
    speed = speed_mbps * 1_000_000 if speed_mbps else None
    reset = restarted or interface.counter_bits != reading.counter_bits
    state.update(
        admin_status=admin, oper_status=oper,
        last_change_at=now if oper != interface.oper_status else interface.last_change_at,
        in_bps=rate_bps(interface.last_in_octets, reading.in_octets, seconds,
                        bits=reading.counter_bits, speed_bps=speed, restarted=reset),
        out_bps=rate_bps(interface.last_out_octets, reading.out_octets, seconds,
                         bits=reading.counter_bits, speed_bps=speed, restarted=reset),
        last_in_octets=reading.in_octets, last_out_octets=reading.out_octets,
        counter_bits=reading.counter_bits, last_counter_at=now)
    return state


class BatchWriter:
    """Collects the writes of one batch, then sends each kind in one go."""

    def __init__(self, session: Session):
        self.session = session
        self.devices: list[tuple[Device, dict[str, Any]]] = []
        self.interfaces: list[tuple[Interface, dict[str, Any]]] = []
        self.renamed: list[tuple[Interface, dict[str, Any]]] = []
        self.interface_samples: list[dict[str, Any]] = []
        self.device_samples: list[dict[str, Any]] = []

    def interface_read(self, device: Device, interface: Interface, reading: InterfaceReading,
                       now: datetime, restarted: bool, discovered: bool) -> None:
        state = _reading_state(interface, reading, now, restarted, discovered)
        names = {k: state.pop(k) for k in DISCOVERED if k in state}
        if interface.id is None:  # found by this poll: the ORM inserts it
            for key, value in {**state, **names}.items():
                setattr(interface, key, value)
            return
        self.interfaces.append((interface, state))
        if names:
            self.renamed.append((interface, names))
        # Raw points are kept for watched ports only; the rest show their latest rate.
        if interface.monitored and state["in_bps"] is not None and \
                state["out_bps"] is not None:
            self.interface_samples.append({
                "tenant_id": device.tenant_id, "interface_id": interface.id,
                "sampled_at": now, "in_bps": state["in_bps"], "out_bps": state["out_bps"],
                "oper_up": state["oper_status"] == IfStatus.UP.value})

    def interface_gone(self, interface: Interface) -> None:
        if interface.oper_status != IfStatus.NOT_PRESENT.value:
            interface.oper_status = IfStatus.NOT_PRESENT.value  # rare: the ORM writes it

    def device_polled(self, device: Device, result: PollResult,
                      changes: dict[str, Any]) -> None:
        self.devices.append((device, changes))
        self.device_samples.append({
            "tenant_id": device.tenant_id, "device_id": device.id,
            "sampled_at": result.polled_at, "reachable": result.reachable,
            "response_ms": result.response_ms, "cpu_pct": result.cpu_pct,
            "memory_pct": result.memory_pct})

    def flush(self) -> None:
        self.session.flush()  # new interfaces and the rare ORM changes first
        _bulk_update(self.session, Interface, INTERFACE_STATE, self.interfaces)
        _bulk_update(self.session, Interface, DISCOVERED, self.renamed)
        _bulk_update(self.session, Device, DEVICE_STATE, self.devices)
        bulk.insert_rows(self.session, InterfaceSample, self.interface_samples)
        bulk.insert_rows(self.session, DeviceSample, self.device_samples)


def _bulk_update(session: Session, model: Any, columns: Sequence[str],
                 rows: Sequence[tuple[Any, dict[str, Any]]]) -> None:
    """One executemany setting the columns of each row by id; the loaded objects take the
    values as their committed state (they are not dirty afterwards)."""
    if not rows:
        return
    table = model.__table__
    stmt = (update(table).where(table.c.id == bindparam("row_id", type_=table.c.id.type))
            .values({c: bindparam(f"v_{c}", type_=table.c[c].type) for c in columns}))
    params = [{"row_id": obj.id, **{f"v_{c}": values[c] for c in columns}}
              for obj, values in rows]
    session.connection().execute(stmt, params)
    for obj, values in rows:
        for column in columns:
            set_committed_value(obj, column, values[column])


def next_poll_at(result: PollResult, interval: timedelta) -> datetime:
    """An interval after the time the poll was due, not after it ran: the poll job comes
    round every few seconds, so a poll starts up to that much late, and counting from the
    poll itself would push every device's schedule later by that lateness each time (a
    device polled every 30 s came round every 35). A device that was due more than an
    interval ago (its poller was away) starts again from this poll."""
    if result.due_at is not None and result.due_at + interval > result.polled_at:
        return result.due_at + interval
    return result.polled_at + interval


def device_changes(device: Device, result: PollResult) -> tuple[dict[str, Any], bool]:
    """The device's poll state after this result, and whether its agent restarted."""
    now = result.polled_at
    changes: dict[str, Any] = {
        "last_polled_at": now,
        "next_poll_at": next_poll_at(result, timedelta(seconds=device.poll_interval_seconds)),
        "interfaces_discovered_at": device.interfaces_discovered_at}
    if not result.reachable:
        changes.update(
            consecutive_failures=device.consecutive_failures + 1, response_ms=None,
            last_poll_error=(result.error or "no answer")[:500],
            **{k: getattr(device, k) for k in ("last_seen_at", "sys_descr", "sys_name",
                                               "sys_uptime_seconds", "cpu_pct",
                                               "memory_pct")})
        return changes, False
    uptime = None if result.sys_uptime_ticks is None else result.sys_uptime_ticks // 100
    restarted = (uptime is not None and device.sys_uptime_seconds is not None
                 and uptime < device.sys_uptime_seconds)
    changes.update(consecutive_failures=0, last_seen_at=now, response_ms=result.response_ms,
                   sys_descr=result.sys_descr,
                   sys_name=(result.sys_name or "")[:255] or None,
                   sys_uptime_seconds=uptime, cpu_pct=result.cpu_pct,
                   memory_pct=result.memory_pct,
                   last_poll_error="; ".join(result.partial_errors)[:500] or None)
    return changes, restarted


def group_by_tenant(items: Sequence[Any]) -> dict[uuid.UUID, list[Any]]:
    grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for item in items:
        grouped[item.tenant_id].append(item)
    return grouped
