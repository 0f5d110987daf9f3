"""The demo network's links, as its devices would report them over LLDP: core-1 is the core,
the BNG and the access switch hang off it, the OLT off the switch, and an upstream transit
router nobody here manages sits beyond core-1."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.orm import Session

from dotmac_isp.modules.network.topology import service
from dotmac_isp.modules.network.topology.parsing import Neighbour, NeighbourReading
from dotmac_isp.shared.types import utcnow

# (device, its port, neighbour, the neighbour's port)
CABLES = (
    ("core-1", "et-0/0/0", "bng-1", "sfp28-1"),
    ("core-1", "et-0/0/1", "switch-1", "Te1/1/1"),
    ("switch-1", "Te1/1/2", "olt-1", "0/9/0"),
    ("core-1", "et-0/0/3", "transit-gw.example.net", "xe-2/1/0"),
)


def _mac(name: str) -> str:
    digest = uuid.uuid5(uuid.NAMESPACE_DNS, name).bytes
    return ":".join(f"{b:02x}" for b in (b"\x02" + digest[:5]))


def seed(session: Session, tenant_id: uuid.UUID, device_ids: dict[str, uuid.UUID]) -> None:
    """Record the demo links and mark core-1 as the core."""
    readings: dict[uuid.UUID, NeighbourReading] = {}
    for device, port, peer, peer_port in CABLES:
        reading = readings.setdefault(device_ids[device], NeighbourReading(
            chassis_id=_mac(device), sys_name=device))
        reading.neighbours.append(Neighbour(
            protocol="lldp", local_port_num=len(reading.neighbours) + 1, local_port=port,
            local_port_description=port, chassis_id=_mac(peer), port=peer_port,
            port_id=peer_port, sys_name=peer,
            description="Juniper MX960" if peer.startswith("transit") else ""))
    service.record_readings(session, tenant_id, readings, utcnow(), timedelta(hours=24))
    service.set_core(session, tenant_id, device_ids["core-1"], True)
