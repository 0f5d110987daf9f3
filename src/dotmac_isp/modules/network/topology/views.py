"""Read models of the topology for pages and the API: a device's neighbours, the tenant's
graph, and the devices behind a device."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, inspect, or_, select
from sqlalchemy.orm import Session

from dotmac_isp.modules.network.devices.enums import SUBSCRIBER_DEVICE_TYPES
from dotmac_isp.modules.network.devices.models import Device
from dotmac_isp.modules.network.devices.repository import DeviceRepository
from dotmac_isp.modules.network.topology import impact
from dotmac_isp.modules.network.topology.impact import Graph, GraphDevice
from dotmac_isp.modules.network.topology.models import Link, TopologyNode
from dotmac_isp.modules.network.topology.repository import LinkRepository, NodeRepository

MAX_GRAPH_NODES = 2000  # the page draws the network's backbone, not every CPE


@dataclass
class NeighbourRow:
    link_id: uuid.UUID
    protocol: str
    local_port: str
    local_interface_id: uuid.UUID | None
    device_id: uuid.UUID | None  # None: a neighbour we do not manage
    device_name: str
    port: str
    chassis_id: str
    address: str | None
    description: str
    discovered_at: datetime
    last_seen_at: datetime


def neighbours(session: Session, tenant_id: uuid.UUID, device_id: uuid.UUID,
               ) -> list[NeighbourRow]:
    """The device's discovered neighbours, port by port."""
    DeviceRepository(session, tenant_id).get(device_id)
    links = LinkRepository(session, tenant_id).of_device(device_id)
    others = {link.other_end(device_id)[0] for link in links} - {None}
    repo = DeviceRepository(session, tenant_id)
    names: dict[uuid.UUID | None, str] = dict(session.execute(repo.select(
        Device.id, Device.name).where(Device.id.in_(list(others)))).all()) if others else {}
    rows = []
    for link in links:
        other, _interface, port = link.other_end(device_id)
        local_interface, local_port = link.own_end(device_id)
        chassis, name, address, description = link.announced_by_other(device_id)
        rows.append(NeighbourRow(
            link_id=link.id, protocol=link.protocol, local_port=local_port,
            local_interface_id=local_interface, device_id=other,
            device_name=names.get(other, "") if other else name or chassis, port=port,
            chassis_id=chassis, address=address, description=description,
            discovered_at=link.discovered_at, last_seen_at=link.last_seen_at))
    return sorted(rows, key=lambda r: (r.local_port, r.device_name))


def _graph_rows(session: Session, tenant_id: uuid.UUID) -> tuple[Graph, list[Link]]:
    cores = set(session.scalars(NodeRepository(session, tenant_id).select(
        TopologyNode.device_id).where(TopologyNode.is_core.is_(True))))
    devices = [GraphDevice(i, parent, kind, i in cores, subscription)
               for i, parent, kind, subscription in session.execute(
                   DeviceRepository(session, tenant_id).select(
                       Device.id, Device.parent_device_id, Device.device_type,
                       Device.subscription_id))]
    links = list(session.scalars(LinkRepository(session, tenant_id).select()))
    graph = Graph.build(devices, [(k.a_device_id, k.b_device_id, k.b_chassis_id, k.b_name)
                                  for k in links])
    return graph, links


def _graph(session: Session, tenant_id: uuid.UUID) -> Graph:
    """The tenant's graph, built once per transaction: when many devices go down together
    (a recorded poll batch), each incident reuses it. A flush that changes the graph's rows
    forgets it (see _forget_changed); bulk writes call forget_graphs."""
    graphs: dict[uuid.UUID, Graph] = session.info.setdefault(_GRAPHS, {})
    if tenant_id not in graphs:
        graphs[tenant_id] = _graph_rows(session, tenant_id)[0]
    return graphs[tenant_id]


def forget_graphs(session: Session) -> None:
    session.info.pop(_GRAPHS, None)


_GRAPHS = "topology_graphs"
_GRAPH_COLUMNS = ("parent_device_id", "device_type", "subscription_id")


@event.listens_for(Session, "before_flush")
def _forget_changed(session: Session, _context: Any, _instances: Any) -> None:
    if _GRAPHS not in session.info:
        return
    kinds = (Device, Link, TopologyNode)
    changed = any(isinstance(o, kinds) for o in (*session.new, *session.deleted)) or any(
        (isinstance(o, (Link, TopologyNode)) and session.is_modified(o))
        or (isinstance(o, Device) and any(inspect(o).attrs[c].history.has_changes()
                                          for c in _GRAPH_COLUMNS))
        for o in session.dirty)
    if changed:
        forget_graphs(session)


def _is_isolated(session: Session, tenant_id: uuid.UUID, device_id: uuid.UUID) -> bool:
    """No configured children and no discovered links: nothing can be behind the device
    (a CPE, mostly), which two indexed lookups tell without building the graph."""
    children = DeviceRepository(session, tenant_id).select(Device.id).where(
        Device.parent_device_id == device_id).limit(1)
    links = LinkRepository(session, tenant_id).select(Link.id).where(
        or_(Link.a_device_id == device_id, Link.b_device_id == device_id)).limit(1)
    return session.scalar(children) is None and session.scalar(links) is None


def devices_behind(session: Session, tenant_id: uuid.UUID, device_id: uuid.UUID,
                   ) -> list[GraphDevice]:
    """The device and every device behind it (see impact), the device first."""
    device = DeviceRepository(session, tenant_id).get(device_id)
    if _is_isolated(session, tenant_id, device_id):
        return [GraphDevice(device.id, device.parent_device_id, device.device_type,
                            subscription_id=device.subscription_id)]
    graph = _graph(session, tenant_id)
    behind = graph.behind(device_id)
    others = sorted((graph.devices[d] for d in behind if d != device_id), key=lambda d: str(d.id))
    return [graph.devices[device_id], *others]


def topology_graph(session: Session, tenant_id: uuid.UUID) -> dict[str, Any]:
    """Nodes (with hops from the core) and edges of the tenant's network, for drawing."""
    graph, links = _graph_rows(session, tenant_id)
    depth = graph.reach()
    shown = [d for d in graph.devices.values()
             if d.device_type not in {t.value for t in SUBSCRIBER_DEVICE_TYPES}]
    truncated = len(shown) > MAX_GRAPH_NODES
    shown = sorted(shown, key=lambda d: depth.get(d.id, 10**6))[:MAX_GRAPH_NODES]
    ids = {d.id for d in shown}
    info = {i: (name, reach) for i, name, reach in session.execute(
        select(Device.id, Device.name, Device.reachability).where(
            Device.tenant_id == tenant_id, Device.id.in_(list(ids))))} if ids else {}
    nodes: dict[str, dict[str, Any]] = {}
    for d in shown:
        key = impact.key(d.id)
        name, reach = info.get(d.id, ("", "unknown"))
        nodes[key] = {"id": key, "device_id": str(d.id), "name": name, "type": d.device_type,
                      "reachability": reach, "core": d.is_core, "managed": True,
                      "depth": depth.get(d.id)}
    edges = []
    for d in shown:
        if d.parent_id in ids:
            edges.append({"source": impact.key(d.parent_id), "target": impact.key(d.id),
                          "kind": "uplink", "label": ""})
    for link in links:
        if link.a_device_id not in ids:
            continue
        far: impact.Node = link.b_device_id if link.b_device_id is not None else \
            impact.unmanaged(link.b_chassis_id, link.b_name)
        if link.b_device_id is not None and link.b_device_id not in ids:
            continue
        if impact.key(far) not in nodes:
            nodes[impact.key(far)] = {
                "id": impact.key(far), "device_id": None,
                "name": link.b_name or link.b_chassis_id, "type": "unmanaged",
                "reachability": "unknown", "core": False, "managed": False,
                "depth": depth.get(far)}
        edges.append({"source": impact.key(link.a_device_id), "target": impact.key(far),
                      "kind": link.protocol, "label": f"{link.a_port} to {link.b_port}"})
    return {"nodes": list(nodes.values()), "edges": edges, "truncated": truncated}
