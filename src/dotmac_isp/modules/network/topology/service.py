"""Recording neighbour readings as links, each device's discovery state, neighbours of a
device, and the core flag. Services flush; callers commit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, func, insert, or_, select, update
from sqlalchemy.orm import Session, aliased

from dotmac_isp.config import Settings
from dotmac_isp.modules.network.devices.models import Device, Interface
from dotmac_isp.modules.network.devices.polling import service as polling
from dotmac_isp.modules.network.devices.repository import DeviceRepository, InterfaceRepository
from dotmac_isp.modules.network.topology import mapping, reader, views
from dotmac_isp.modules.network.topology.mapping import KnownDevice, KnownInterface, SeenLink
from dotmac_isp.modules.network.topology.models import Link, TopologyNode
from dotmac_isp.modules.network.topology.parsing import NeighbourReading
from dotmac_isp.modules.network.topology.repository import (
    LinkRepository,
    NodeRepository,
    chunks,
)
from dotmac_isp.sdks.snmp import SnmpTarget
from dotmac_isp.shared.errors import ValidationFailed
from dotmac_isp.shared.types import utcnow


@dataclass
class Recorded:
    devices: int = 0
    failed: int = 0
    links_seen: int = 0
    links_new: int = 0
    links_dropped: int = 0


# Nodes ---------------------------------------------------------------------------------

def node_of(session: Session, tenant_id: uuid.UUID, device_id: uuid.UUID) -> TopologyNode:
    """The device's topology row, made on first use (the device must be the tenant's)."""
    device = DeviceRepository(session, tenant_id).get(device_id)
    repo = NodeRepository(session, tenant_id)
    node = repo.of_devices([device.id]).get(device.id)
    return node or repo.add(TopologyNode(device_id=device.id))


def node_state(session: Session, tenant_id: uuid.UUID, device_id: uuid.UUID) -> TopologyNode:
    """The device's topology row, or (not stored) what it would be before any discovery."""
    device = DeviceRepository(session, tenant_id).get(device_id)
    node = NodeRepository(session, tenant_id).of_devices([device.id]).get(device.id)
    return node or TopologyNode(tenant_id=tenant_id, device_id=device.id, is_core=False,
                                chassis_id="", sys_name="", neighbours_seen=0)


def set_core(session: Session, tenant_id: uuid.UUID, device_id: uuid.UUID,
             is_core: bool) -> TopologyNode:
    """Mark a device as core (or site) router: outage impact is counted away from the core."""
    node = node_of(session, tenant_id, device_id)
    node.is_core = is_core
    session.flush()
    return node


# Recording readings ----------------------------------------------------------------------

def _known_devices(session: Session, tenant_id: uuid.UUID,
                   readings: dict[uuid.UUID, NeighbourReading]) -> list[KnownDevice]:
    """The devices a reading's neighbours could be: by chassis id, address or name."""
    neighbours = [n for r in readings.values() for n in r.neighbours]
    nodes = NodeRepository(session, tenant_id).by_chassis({n.chassis_id for n in neighbours})
    chassis = {n.device_id: n.chassis_id for n in nodes}
    addresses = {a for n in neighbours for a in n.addresses}
    names = set().union(*(mapping.names_of(n) for n in neighbours)) if neighbours else set()
    repo = DeviceRepository(session, tenant_id)
    found: dict[uuid.UUID, Device] = {}
    for ids in chunks({*chassis, *readings}):
        found.update({d.id: d for d in session.scalars(repo.select().where(Device.id.in_(ids)))})
    for chunk in chunks(addresses):
        found.update({d.id: d for d in session.scalars(
            repo.select().where(Device.management_ip.in_(chunk)))})
    for chunk in chunks(names):
        found.update({d.id: d for d in session.scalars(repo.select().where(or_(
            func.lower(Device.name).in_(chunk), func.lower(Device.sys_name).in_(chunk))))})
    own = {device_id: r.chassis_id for device_id, r in readings.items() if r.chassis_id}
    return [KnownDevice(d.id, d.name, d.management_ip, d.sys_name,
                        own.get(d.id) or chassis.get(d.id, "")) for d in found.values()]


def _interfaces(session: Session, tenant_id: uuid.UUID,
                device_ids: set[uuid.UUID]) -> dict[uuid.UUID, list[KnownInterface]]:
    repo = InterfaceRepository(session, tenant_id)
    found: dict[uuid.UUID, list[KnownInterface]] = {d: [] for d in device_ids}
    for chunk in chunks(device_ids):
        for i in session.scalars(repo.select().where(Interface.device_id.in_(chunk))
                                 .order_by(Interface.if_index)):
            found[i.device_id].append(KnownInterface(i.id, i.device_id, i.if_index, i.name,
                                                     i.description, i.alias))
    return found


def links_of_readings(session: Session, tenant_id: uuid.UUID,
                      readings: dict[uuid.UUID, NeighbourReading]) -> list[SeenLink]:
    """The links the readings show, one per link even when both of its ends were read."""
    known = _known_devices(session, tenant_id, readings)
    index = mapping.DeviceIndex.of(known)
    resolved = {(device_id, position): index.resolve(n)
                for device_id, r in readings.items() for position, n in enumerate(r.neighbours)}
    interfaces = _interfaces(session, tenant_id, {*readings, *(d for d in resolved.values()
                                                               if d is not None)})
    seen: dict[str, SeenLink] = {}
    for device_id, reading in readings.items():
        for position, neighbour in enumerate(reading.neighbours):
            remote = resolved[(device_id, position)]
            if remote == device_id:
                continue  # a device hearing itself (a loop or a shared segment)
            link = mapping.seen_link(
                device_id, mapping.local_interface(interfaces[device_id], neighbour), neighbour,
                remote, mapping.remote_interface(interfaces[remote], neighbour)
                if remote is not None else None, reading.chassis_id, reading.sys_name)
            earlier = seen.get(link.key)
            seen[link.key] = _merge(earlier, link) if earlier else link
    return list(seen.values())


def _merge(earlier: SeenLink, later: SeenLink) -> SeenLink:
    """Both ends reported the link: keep every port either reading placed."""
    later.a_interface_id = later.a_interface_id or earlier.a_interface_id
    later.b_interface_id = later.b_interface_id or earlier.b_interface_id
    later.merged = earlier
    return later


def _supersede_unmanaged(session: Session, tenant_id: uuid.UUID, seen: list[SeenLink]) -> None:
    """A neighbour kept as unmanaged that is now one of our devices: its old link goes."""
    ports = {s.reporter_port for s in seen if s.reporter_port}
    reporters = {port[0] for port in ports}
    if not reporters:
        return
    repo = LinkRepository(session, tenant_id)
    for chunk in chunks(reporters):
        for link in session.scalars(repo.select().where(Link.b_device_id.is_(None),
                                                        Link.a_device_id.in_(chunk))):
            if (link.a_device_id, link.a_port.strip().lower(),
                    link.b_chassis_id.lower()) in ports:
                session.delete(link)
    session.flush()


ANNOUNCED = tuple(f"{end}_{field}" for end in "ab"
                  for field in ("chassis_id", "name", "address", "description"))


def _store(session: Session, tenant_id: uuid.UUID, seen: list[SeenLink],
           now: datetime) -> int:
    """Insert new links and update seen ones, each as one bulk statement."""
    _supersede_unmanaged(session, tenant_id, seen)
    existing = LinkRepository(session, tenant_id).by_keys(s.key for s in seen)
    inserts, updates = [], []
    for link in seen:
        row = existing.get(link.key)
        values: dict[str, Any] = {
            "protocol": link.protocol, "last_seen_at": now,
            "a_device_id": link.a_device_id, "a_port": link.a_port,
            "b_device_id": link.b_device_id, "b_port": link.b_port,
            "a_interface_id": link.a_interface_id or (row.a_interface_id if row else None),
            "b_interface_id": link.b_interface_id or (row.b_interface_id if row else None),
            **{column: getattr(row, column) if row else None for column in ANNOUNCED}}
        for view in (link.merged, link) if link.merged else (link,):
            _announce(values, view)
        if row is None:
            inserts.append({**values, "id": uuid.uuid4(), "tenant_id": tenant_id,
                            "link_key": link.key, "discovered_at": now})
        else:
            updates.append({**values, "id": row.id})
            session.expire(row)  # the bulk UPDATE below does not refresh loaded rows
    if inserts:
        session.execute(insert(Link), inserts)
    if updates:
        session.execute(update(Link), updates)
    return len(inserts)


def _announce(values: dict[str, Any], link: SeenLink) -> None:
    """What each end announced: the neighbour as heard, the reporter as it says."""
    for end, said, own in (("a", link.reporter if link.reporter_is_a else link.heard,
                            link.reporter_is_a),
                           ("b", link.heard if link.reporter_is_a else link.reporter,
                            not link.reporter_is_a)):
        keep = own and not (said.chassis_id or said.name)  # a reporter that said nothing
        for field in ("chassis_id", "name"):
            value = values[f"{end}_{field}"] if keep else getattr(said, field)
            values[f"{end}_{field}"] = value or ""
        values[f"{end}_address"] = said.address or values[f"{end}_address"]
        values[f"{end}_description"] = (said.description or values[f"{end}_description"]
                                        or "")


def record_readings(session: Session, tenant_id: uuid.UUID,
                    readings: dict[uuid.UUID, NeighbourReading], now: datetime,
                    max_age: timedelta) -> Recorded:
    """Store what the tenant's devices reported: their links (new, or seen again), each
    device's discovery state, and drop links gone for longer than max_age."""
    devices = {d.id for d in session.scalars(DeviceRepository(session, tenant_id).select()
                                             .where(Device.id.in_(list(readings))))}
    readings = {d: r for d, r in readings.items() if d in devices}  # deleted meanwhile
    answered = {d: r for d, r in readings.items() if r.error is None}
    seen = links_of_readings(session, tenant_id, answered)
    outcome = Recorded(devices=len(readings), failed=len(readings) - len(answered),
                       links_seen=len(seen), links_new=_store(session, tenant_id, seen, now))
    repo = NodeRepository(session, tenant_id)
    nodes = repo.of_devices(readings)
    for device_id, reading in readings.items():
        node = nodes.get(device_id)
        if node is None:  # added here, flushed once below with the rest
            node = TopologyNode(tenant_id=tenant_id, device_id=device_id, is_core=False,
                                chassis_id="", sys_name="", neighbours_seen=0,
                                last_success_at=None)
            session.add(node)
        node.last_scan_at, node.last_error = now, reading.error
        if reading.error is None:
            node.last_success_at, node.neighbours_seen = now, len(reading.neighbours)
            node.chassis_id, node.sys_name = reading.chassis_id, reading.sys_name
    session.flush()
    outcome.links_dropped = prune_links(session, tenant_id, now - max_age)
    views.forget_graphs(session)  # links were written in bulk, past the flush listener
    return outcome


def prune_links(session: Session, tenant_id: uuid.UUID, cutoff: datetime) -> int:
    """Drop links last seen before the cutoff that a later reading of one of their managed
    ends no longer showed; a device that cannot be read keeps its last known links."""
    node = aliased(TopologyNode)

    def read_since(device: Any) -> Any:
        return exists().where(node.device_id == device, node.tenant_id == tenant_id,
                              node.last_success_at > Link.last_seen_at)

    result = session.execute(delete(Link).where(
        Link.tenant_id == tenant_id, Link.last_seen_at < cutoff,
        or_(read_since(Link.a_device_id), and_(Link.b_device_id.is_not(None),
                                               read_since(Link.b_device_id))))
        .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


# Reading ---------------------------------------------------------------------------------

def due_devices(session: Session, tenant_id: uuid.UUID, now: datetime, every: timedelta,
                limit: int) -> list[Device]:
    """The tenant's monitored devices whose neighbours were not read within `every`, those
    never read first."""
    last = (select(TopologyNode.last_scan_at).where(TopologyNode.device_id == Device.id)
            .correlate(Device).scalar_subquery())
    stmt = (DeviceRepository(session, tenant_id).select()
            .where(Device.monitoring_enabled.is_(True), Device.management_ip.is_not(None),
                   Device.status.in_(polling.POLLED_STATUSES),
                   or_(last.is_(None), last <= now - every))
            .order_by(last.is_not(None), last, Device.name).limit(limit))
    return list(session.scalars(stmt))


def targets_for(settings: Settings, devices: list[Device],
                ) -> tuple[dict[uuid.UUID, SnmpTarget], dict[uuid.UUID, NeighbourReading]]:
    """SNMP targets of devices, and failed readings for those whose credentials cannot be
    read."""
    targets, failed = {}, {}
    for device in devices:
        try:
            targets[device.id] = polling.snmp_target(settings, device)
        except Exception as exc:  # unreadable credentials: recorded on the device
            failed[device.id] = NeighbourReading(error=getattr(exc, "detail", str(exc))[:500])
    return targets, failed


def discover_now(session: Session, settings: Settings, tenant_id: uuid.UUID,
                 device_id: uuid.UUID, now: datetime | None = None) -> Recorded:
    """Read one device's neighbours at once and record them."""
    device = DeviceRepository(session, tenant_id).get(device_id)
    if not device.management_ip:
        raise ValidationFailed("the device has no management_ip to read its neighbours from")
    targets, failed = targets_for(settings, [device])
    readings = {**reader.read_targets(targets, 1), **failed}
    return record_readings(session, tenant_id, readings, now or utcnow(),
                           timedelta(hours=settings.topology.link_max_age_hours))
