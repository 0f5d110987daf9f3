"""Which devices are behind a device: the direction of links, from the core outwards.

Configured uplinks (a device's parent) and discovered links (LLDP/CDP, including those through
switches we do not manage) make one undirected graph of the tenant's network. The core is where
the network is entered: the devices marked as core; when none is marked, the routers without a
configured parent; when there are none, every device without a parent.

A device is behind D when it cannot reach the core without passing through D, and either it
could reach the core with D up, or it hangs below D by configured uplinks (a branch that is
not connected to the core at all still goes down with its configured upstream). So a CPE
whose OLT has a second, discovered path to the core is not behind the first uplink switch.
"""

from __future__ import annotations

import uuid
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from dotmac_isp.modules.network.devices.enums import DeviceType

Node = uuid.UUID | str  # a managed device's id, or "c:<chassis>" for an unmanaged neighbour


def managed(device_id: uuid.UUID) -> Node:
    return device_id


def unmanaged(chassis_id: str, name: str) -> Node:
    return f"c:{(chassis_id or name).lower()}"


def key(node: Node) -> str:
    """A node's name in the drawn graph."""
    return f"d:{node}" if isinstance(node, uuid.UUID) else node


@dataclass(frozen=True)
class GraphDevice:
    id: uuid.UUID
    parent_id: uuid.UUID | None
    device_type: str
    is_core: bool = False
    subscription_id: uuid.UUID | None = None


@dataclass
class Graph:
    devices: dict[uuid.UUID, GraphDevice] = field(default_factory=dict)
    edges: dict[Node, set[Node]] = field(default_factory=lambda: defaultdict(set))

    def connect(self, first: Node, second: Node) -> None:
        if first != second:
            self.edges[first].add(second)
            self.edges[second].add(first)

    @classmethod
    def build(cls, devices: Iterable[GraphDevice],
              links: Iterable[tuple[uuid.UUID, uuid.UUID | None, str, str]]) -> Graph:
        """devices, and links as (a device, b device or None, b chassis id, b name)."""
        graph = cls()
        for device in devices:
            graph.devices[device.id] = device
            graph.edges.setdefault(managed(device.id), set())
        for device in graph.devices.values():
            if device.parent_id in graph.devices:
                graph.connect(managed(device.id), managed(device.parent_id))
        for a_id, b_id, b_chassis, b_name in links:
            far = managed(b_id) if b_id is not None else unmanaged(b_chassis, b_name)
            graph.connect(managed(a_id), far)
        return graph

    def roots(self) -> set[Node]:
        marked = {managed(d.id) for d in self.devices.values() if d.is_core}
        if marked:
            return marked
        routers = {managed(d.id) for d in self.devices.values()
                   if d.parent_id is None and d.device_type == DeviceType.ROUTER.value}
        return routers or {managed(d.id) for d in self.devices.values() if d.parent_id is None}

    def reach(self, without: Node | None = None) -> dict[Node, int]:
        """Every node reachable from the core (not passing `without`), with its hop count."""
        depth = {r: 0 for r in self.roots() if r != without}
        queue = deque(depth)
        while queue:
            node = queue.popleft()
            for neighbour in self.edges.get(node, ()):
                if neighbour not in depth and neighbour != without:
                    depth[neighbour] = depth[node] + 1
                    queue.append(neighbour)
        return depth

    def configured_below(self, device_id: uuid.UUID) -> set[uuid.UUID]:
        children: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        for device in self.devices.values():
            if device.parent_id is not None:
                children[device.parent_id].append(device.id)
        found, queue = {device_id}, deque([device_id])
        while queue:
            for child in children.get(queue.popleft(), ()):
                if child not in found:
                    found.add(child)
                    queue.append(child)
        return found

    def behind(self, device_id: uuid.UUID) -> set[uuid.UUID]:
        """The device and every managed device that loses its path to the core with it."""
        node = managed(device_id)
        with_it, without_it = self.reach(), self.reach(without=node)
        candidates = {n for n in with_it if isinstance(n, uuid.UUID)}
        candidates |= self.configured_below(device_id)
        return {device_id} | {d for d in candidates if d not in without_it}
