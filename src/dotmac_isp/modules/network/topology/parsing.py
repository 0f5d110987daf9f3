"""LLDP and CDP table rows as neighbours (no SNMP, no database): pure functions.

Port and chassis ids are turned into text by their subtype: MAC addresses as aa:bb:cc:dd:ee:ff,
network addresses as IP text, names as they are. The same function names a port whether the
device itself reports it (lldpLocPortTable) or a neighbour does (lldpRemTable): both carry the
TLVs the device sends, so both ends of a link agree on its ports' names.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from dotmac_isp.modules.network.topology import oids
from dotmac_isp.modules.network.topology.walker import Index, Raw, Rows

HEX_TEXT = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2})*$")
# LldpChassisIdSubtype / LldpPortIdSubtype values that carry a MAC or a network address
CHASSIS_MAC, CHASSIS_NETWORK = 4, 5
PORT_ALIAS, PORT_MAC, PORT_NETWORK, PORT_NAME = 1, 3, 4, 5
MAX_TEXT = 255


@dataclass
class Neighbour:
    """One neighbour heard on one local port."""

    protocol: str  # "lldp" or "cdp"
    local_port_num: int  # lldpLocPortNum (usually the ifIndex); the ifIndex for CDP
    local_port: str  # the local port's name as its neighbours see it
    local_port_description: str
    chassis_id: str
    port: str  # the remote port's name
    port_id: str = ""
    port_description: str = ""
    sys_name: str = ""
    description: str = ""  # sysDescr (LLDP) or platform (CDP)
    addresses: list[str] = field(default_factory=list)


@dataclass
class NeighbourReading:
    """What one device reports: itself (chassis id, name) and its neighbours."""

    chassis_id: str = ""
    sys_name: str = ""
    neighbours: list[Neighbour] = field(default_factory=list)
    error: str | None = None


def octets(value: Raw) -> bytes:
    """The raw octets of a value read as bytes, or as text by SnmpClient (which renders
    unprintable octets as aa:bb:..)."""
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, int):
        return str(value).encode()
    return bytes.fromhex(value.replace(":", "")) if HEX_TEXT.match(value) and len(value) > 2 \
        else value.encode()


def text(value: Raw) -> str:
    raw = octets(value).rstrip(b"\x00")
    return raw.decode("utf-8", errors="replace").strip()[:MAX_TEXT]


def _mac(raw: bytes) -> str:
    return ":".join(f"{b:02x}" for b in raw)


def _network_address(raw: bytes) -> str:
    # first octet: the IANA address family (1 IPv4, 2 IPv6)
    try:
        if raw[:1] == b"\x01" and len(raw) == 5:
            return str(ipaddress.IPv4Address(raw[1:]))
        if raw[:1] == b"\x02" and len(raw) == 17:
            return str(ipaddress.IPv6Address(raw[1:]))
    except ValueError:
        pass
    return _mac(raw)


def id_text(subtype: Raw, value: Raw, *, mac: int, network: int) -> str:
    """A chassis or port id as text, by its subtype."""
    raw = octets(value)
    if subtype == mac and len(raw) == 6:
        return _mac(raw)
    if subtype == network:
        return _network_address(raw)
    decoded = text(raw)
    return decoded if decoded.isprintable() else _mac(raw)


def port_name(subtype: Raw, port_id: str, description: str) -> str:
    """The name a port is known by: its id when that is an interface name or alias, else its
    description (lldpd sends the MAC as id and the interface name as description)."""
    if subtype in (PORT_NAME, PORT_ALIAS) and port_id:
        return port_id
    return description or port_id


def _addresses(index_rows: dict[Index, Raw]) -> dict[tuple[int, int], list[str]]:
    found: dict[tuple[int, int], list[str]] = {}
    for index in index_rows:
        if len(index) < 5:
            continue
        local_port, remote, family, length = index[1], index[2], index[3], index[4]
        raw = bytes(index[5:5 + length])
        try:
            address = str(ipaddress.IPv4Address(raw) if family == 1 and length == 4 else
                          ipaddress.IPv6Address(raw) if family == 2 and length == 16 else "")
        except ValueError:
            continue
        if address:
            found.setdefault((local_port, remote), []).append(address)
    return found


def parse_lldp(local: Mapping[str, Raw], ports: Rows, remote: Rows,
               addresses: dict[Index, Raw]) -> NeighbourReading:
    """A device's LLDP tables as its reading: local scalars by OID, lldpLocPortTable columns
    keyed by port number (a one-part index), lldpRemTable and lldpRemManAddrTable rows."""
    reading = NeighbourReading(
        chassis_id=id_text(local.get(oids.LOC_CHASSIS_ID_SUBTYPE), local.get(oids.LOC_CHASSIS_ID),
                           mac=CHASSIS_MAC, network=CHASSIS_NETWORK) if local.get(
            oids.LOC_CHASSIS_ID) is not None else "",
        sys_name=text(local.get(oids.LOC_SYS_NAME)))
    local_names: dict[int, tuple[str, str]] = {}
    for index, value in ports.get(oids.LOC_PORT_ID, {}).items():
        num = index[-1]
        port_id = id_text(ports.get(oids.LOC_PORT_ID_SUBTYPE, {}).get(index), value,
                          mac=PORT_MAC, network=PORT_NETWORK)
        description = text(ports.get(oids.LOC_PORT_DESC, {}).get(index))
        local_names[num] = (port_name(ports.get(oids.LOC_PORT_ID_SUBTYPE, {}).get(index),
                                      port_id, description), description)
    managed = _addresses(addresses)
    column = remote.get
    for index, chassis in sorted(column(oids.REM_CHASSIS_ID, {}).items()):
        if len(index) != 3:
            continue
        local_port_num, remote_index = index[1], index[2]
        port_subtype = column(oids.REM_PORT_ID_SUBTYPE, {}).get(index)
        port_id = id_text(port_subtype, column(oids.REM_PORT_ID, {}).get(index),
                          mac=PORT_MAC, network=PORT_NETWORK)
        port_description = text(column(oids.REM_PORT_DESC, {}).get(index))
        local_name, local_description = local_names.get(local_port_num,
                                                        (str(local_port_num), ""))
        reading.neighbours.append(Neighbour(
            protocol="lldp", local_port_num=local_port_num, local_port=local_name,
            local_port_description=local_description,
            chassis_id=id_text(column(oids.REM_CHASSIS_ID_SUBTYPE, {}).get(index), chassis,
                               mac=CHASSIS_MAC, network=CHASSIS_NETWORK),
            port=port_name(port_subtype, port_id, port_description), port_id=port_id,
            port_description=port_description,
            sys_name=text(column(oids.REM_SYS_NAME, {}).get(index)),
            description=text(column(oids.REM_SYS_DESC, {}).get(index)),
            addresses=managed.get((local_port_num, remote_index), [])))
    return reading


def parse_cdp(cache: Rows, if_names: dict[int, tuple[str, str]]) -> list[Neighbour]:
    """cdpCacheTable rows as neighbours; if_names maps an ifIndex to (ifDescr, ifName), CDP's
    own name for a port being the full interface name (ifDescr on Cisco)."""
    found = []
    for index, device_id in sorted(cache.get(oids.CDP_DEVICE_ID, {}).items()):
        if len(index) != 2:
            continue
        if_index = index[0]
        address = octets(cache.get(oids.CDP_ADDRESS, {}).get(index))
        addresses = [str(ipaddress.IPv4Address(address))] if (
            cache.get(oids.CDP_ADDRESS_TYPE, {}).get(index) == 1 and len(address) == 4) else []
        descr, name = if_names.get(if_index, ("", ""))
        remote_port = text(cache.get(oids.CDP_DEVICE_PORT, {}).get(index))
        device = text(device_id)
        found.append(Neighbour(
            protocol="cdp", local_port_num=if_index, local_port=descr or name or str(if_index),
            local_port_description=name, chassis_id=device, port=remote_port,
            port_id=remote_port, sys_name=device,
            description=text(cache.get(oids.CDP_PLATFORM, {}).get(index)),
            addresses=addresses))
    return found


def merge_cdp(reading: NeighbourReading, cdp: list[Neighbour]) -> None:
    """Add CDP neighbours not already heard over LLDP on the same port: a pair of devices
    speaking both protocols is one link, not two."""
    heard = {(n.local_port_num, n.sys_name.lower()) for n in reading.neighbours}
    heard |= {(n.local_port_num, a) for n in reading.neighbours for a in n.addresses}
    for neighbour in cdp:
        keys = {(neighbour.local_port_num, neighbour.sys_name.lower()),
                *((neighbour.local_port_num, a) for a in neighbour.addresses)}
        if not keys & heard:
            reading.neighbours.append(neighbour)
