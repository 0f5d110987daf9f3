"""Readings as LLDP agents report them, for the mapping tests: a switch per name, its ports
named <name>-<peer>, and lldpd's habits (the MAC as port id, the interface name as port
description)."""

from __future__ import annotations

from dotmac_isp.modules.network.topology.parsing import Neighbour, NeighbourReading


def mac(name: str) -> str:
    return ":".join(f"{b:02x}" for b in (b"\x02" + name.encode().ljust(5, b"-"))[:6])


def heard(local: str, port_num: int, remote: str, *, address: str | None = None,
          sys_name: str | None = None, protocol: str = "lldp") -> Neighbour:
    """What `local` hears on its port towards `remote`."""
    return Neighbour(protocol=protocol, local_port_num=port_num, local_port=f"{local}-{remote}",
                     local_port_description=f"{local}-{remote}", chassis_id=mac(remote),
                     port=f"{remote}-{local}", port_id=mac(remote),
                     port_description=f"{remote}-{local}",
                     sys_name=remote if sys_name is None else sys_name,
                     description="Debian GNU/Linux", addresses=[address] if address else [])


def reading(name: str, *neighbours: Neighbour) -> NeighbourReading:
    return NeighbourReading(chassis_id=mac(name), sys_name=name, neighbours=list(neighbours))
