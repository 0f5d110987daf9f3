"""Tenant-scoped reads of topology nodes and links."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import or_

from dotmac_isp.modules.network.topology.models import Link, TopologyNode
from dotmac_isp.shared.tenancy import TenantRepository

CHUNK = 500  # values per IN list


def chunks(values: Iterable[object]) -> list[list[object]]:
    items = list(values)
    return [items[i:i + CHUNK] for i in range(0, len(items), CHUNK)]


class NodeRepository(TenantRepository[TopologyNode]):
    model = TopologyNode
    not_found_message = "device not found"

    def of_devices(self, device_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, TopologyNode]:
        found: dict[uuid.UUID, TopologyNode] = {}
        for chunk in chunks(device_ids):
            found.update({n.device_id: n for n in self.session.scalars(
                self.select().where(TopologyNode.device_id.in_(chunk)))})
        return found

    def by_chassis(self, chassis_ids: Iterable[str]) -> list[TopologyNode]:
        found: list[TopologyNode] = []
        for chunk in chunks({c for c in chassis_ids if c}):
            found.extend(self.session.scalars(
                self.select().where(TopologyNode.chassis_id.in_(chunk))))
        return found


class LinkRepository(TenantRepository[Link]):
    model = Link
    not_found_message = "link not found"

    def by_keys(self, keys: Iterable[str]) -> dict[str, Link]:
        found: dict[str, Link] = {}
        for chunk in chunks(keys):
            found.update({link.link_key: link for link in self.session.scalars(
                self.select().where(Link.link_key.in_(chunk)))})
        return found

    def of_device(self, device_id: uuid.UUID) -> list[Link]:
        return list(self.session.scalars(self.select().where(
            or_(Link.a_device_id == device_id, Link.b_device_id == device_id))
            .order_by(Link.a_port, Link.b_port, Link.id)))
