"""Topology JSON API: a device's neighbours, discover now, the core flag, the graph and the
devices behind a device."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from dotmac_isp.modules.identity.deps import AppSettings, DbSession, require
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.identity.principal import Principal
from dotmac_isp.modules.network.topology import schemas, service, views
from dotmac_isp.modules.network.topology.models import TopologyNode

router = APIRouter(tags=["topology"])
READ, WRITE = require(Permission.NETWORK_READ), require(Permission.NETWORK_WRITE)


@router.get("/devices/{device_id}/neighbours", response_model=list[schemas.NeighbourOut])
def list_neighbours(device_id: uuid.UUID, session: DbSession,
                    principal: Principal = READ) -> list[views.NeighbourRow]:
    """The device's LLDP/CDP neighbours, port by port."""
    return views.neighbours(session, principal.tenant_id, device_id)


@router.post("/devices/{device_id}/neighbours/discover", response_model=schemas.DiscoveryOut)
def discover_neighbours(device_id: uuid.UUID, session: DbSession, settings: AppSettings,
                        principal: Principal = WRITE) -> schemas.DiscoveryOut:
    """Read the device's neighbours over SNMP now; a device that does not answer keeps its
    links and reports the error in node.last_error."""
    outcome = service.discover_now(session, settings, principal.tenant_id, device_id)
    node = service.node_of(session, principal.tenant_id, device_id)
    return schemas.DiscoveryOut(
        node=schemas.NodeOut.model_validate(node), links_new=outcome.links_new,
        neighbours=[schemas.NeighbourOut.model_validate(n) for n in
                    views.neighbours(session, principal.tenant_id, device_id)])


@router.get("/devices/{device_id}/topology", response_model=schemas.NodeOut)
def get_node(device_id: uuid.UUID, session: DbSession,
             principal: Principal = READ) -> TopologyNode:
    """The device's discovery state and core flag."""
    return service.node_state(session, principal.tenant_id, device_id)


@router.put("/devices/{device_id}/topology", response_model=schemas.NodeOut)
def update_node(device_id: uuid.UUID, body: schemas.NodeUpdate, session: DbSession,
                principal: Principal = WRITE) -> TopologyNode:
    """Mark the device as core (or site) router, or not."""
    return service.set_core(session, principal.tenant_id, device_id, body.is_core)


@router.get("/devices/{device_id}/impact", response_model=schemas.ImpactOut)
def device_impact(device_id: uuid.UUID, session: DbSession,
                  principal: Principal = READ) -> schemas.ImpactOut:
    """The devices and subscriptions an outage of this device would cut off."""
    behind = views.devices_behind(session, principal.tenant_id, device_id)
    return schemas.ImpactOut(
        device_id=device_id, device_ids=[d.id for d in behind],
        subscription_ids=sorted({d.subscription_id for d in behind if d.subscription_id},
                                key=str))


@router.get("/topology", response_model=schemas.GraphOut)
def topology_graph(session: DbSession, principal: Principal = READ) -> dict[str, Any]:
    """The tenant's network as nodes (hops from the core) and links, subscriber devices left
    out."""
    return views.topology_graph(session, principal.tenant_id)
