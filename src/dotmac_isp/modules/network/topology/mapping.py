"""Neighbours to links (no database): which managed device a neighbour is, which of its ports,
and the key that names a link the same from both of its ends.

A neighbour is our device when its chassis id is one our device announces itself, else when
one of its management addresses is our device's management IP, else when its system name is
our device's name (or the sysName we polled), with or without the domain.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from dotmac_isp.modules.network.topology.parsing import Neighbour


@dataclass(frozen=True)
class KnownDevice:
    id: uuid.UUID
    name: str
    management_ip: str | None = None
    sys_name: str | None = None
    chassis_id: str = ""


@dataclass(frozen=True)
class KnownInterface:
    id: uuid.UUID
    device_id: uuid.UUID
    if_index: int
    name: str = ""
    description: str = ""
    alias: str = ""


def short_name(name: str) -> str:
    return name.strip().lower().split(".")[0]


def names_of(neighbour: Neighbour) -> set[str]:
    names = {neighbour.sys_name.strip().lower(), short_name(neighbour.sys_name)}
    return {n for n in names if n}


@dataclass
class DeviceIndex:
    """Managed devices by the ways a neighbour names them."""

    by_chassis: dict[str, uuid.UUID] = field(default_factory=dict)
    by_address: dict[str, uuid.UUID] = field(default_factory=dict)
    by_name: dict[str, uuid.UUID] = field(default_factory=dict)

    @classmethod
    def of(cls, devices: Iterable[KnownDevice]) -> DeviceIndex:
        index = cls()
        for device in sorted(devices, key=lambda d: d.name):
            if device.chassis_id:
                index.by_chassis.setdefault(device.chassis_id.lower(), device.id)
            if device.management_ip:
                index.by_address.setdefault(device.management_ip, device.id)
            for name in (device.name, device.sys_name or ""):
                for key in {name.strip().lower(), short_name(name)} - {""}:
                    index.by_name.setdefault(key, device.id)
        return index

    def resolve(self, neighbour: Neighbour) -> uuid.UUID | None:
        found = self.by_chassis.get(neighbour.chassis_id.lower())
        if found is not None:
            return found
        for address in neighbour.addresses:
            if address in self.by_address:
                return self.by_address[address]
        names = sorted(names_of(neighbour), key=len, reverse=True)  # the full name first
        return next((self.by_name[n] for n in names if n in self.by_name), None)


def _match_name(interfaces: list[KnownInterface], *labels: str) -> KnownInterface | None:
    wanted = [label.strip().lower() for label in labels if label and label.strip()]
    for attribute in ("name", "description", "alias"):
        for label in wanted:
            for interface in interfaces:
                if getattr(interface, attribute).strip().lower() == label:
                    return interface
    return None


def local_interface(interfaces: list[KnownInterface], neighbour: Neighbour,
                    ) -> KnownInterface | None:
    """The port a neighbour was heard on: by name when a port is called what the neighbour
    calls it, else by lldpLocPortNum as ifIndex (most agents number LLDP ports so)."""
    by_name = _match_name(interfaces, neighbour.local_port, neighbour.local_port_description)
    by_index = next((i for i in interfaces if i.if_index == neighbour.local_port_num), None)
    return by_name or by_index


def remote_interface(interfaces: list[KnownInterface], neighbour: Neighbour,
                     ) -> KnownInterface | None:
    """The neighbour's port among its device's interfaces, by port id or description against
    ifName, ifDescr and ifAlias."""
    return _match_name(interfaces, neighbour.port, neighbour.port_id, neighbour.port_description)


def end_key(device_id: uuid.UUID | None, chassis_id: str, port: str) -> str:
    owner = f"d:{device_id}" if device_id is not None else f"c:{chassis_id.lower()}"
    return f"{owner}|{port.strip().lower()}"


def link_key(first: str, second: str) -> str:
    """The same key whichever end reported the link."""
    low, high = sorted((first, second))
    return hashlib.sha256(f"{low}\n{high}".encode()).hexdigest()


@dataclass
class Announced:
    """What an end announced of itself: its chassis id, name, an address, a description."""

    chassis_id: str = ""
    name: str = ""
    address: str | None = None
    description: str = ""


@dataclass
class SeenLink:
    """A link as one reading saw it, with end a the managed end that sorts first."""

    key: str
    protocol: str
    a_device_id: uuid.UUID
    a_interface_id: uuid.UUID | None
    a_port: str
    b_device_id: uuid.UUID | None
    b_interface_id: uuid.UUID | None
    b_port: str
    heard: Announced  # the neighbour, as the reporter heard it
    reporter: Announced  # the device that was read, as it says it is
    reporter_is_a: bool = True
    # the neighbour as the reading named it: an earlier link from the same port to the same
    # chassis, kept while it was not ours, is this link now that it is
    reporter_port: tuple[uuid.UUID, str, str] | None = None
    merged: SeenLink | None = None  # the other end's reading of the same link


def seen_link(device_id: uuid.UUID, local: KnownInterface | None, neighbour: Neighbour,
              remote_device: uuid.UUID | None, remote: KnownInterface | None,
              reporter_chassis: str, reporter_name: str) -> SeenLink:
    local_key = end_key(device_id, "", neighbour.local_port)
    remote_key = end_key(remote_device, neighbour.chassis_id, neighbour.port)
    address = next((a for a in neighbour.addresses if ":" not in a), None) or \
        next(iter(neighbour.addresses), None)
    heard = Announced(neighbour.chassis_id, neighbour.sys_name, address,
                      neighbour.description[:255])
    reporter = Announced(reporter_chassis, reporter_name)
    key = link_key(local_key, remote_key)
    reporter_port = (device_id, neighbour.local_port.strip().lower(),
                     neighbour.chassis_id.lower()) if remote_device else None
    if remote_device is not None and remote_key < local_key:
        # both managed: end a is the one whose key sorts first, so both readings agree
        return SeenLink(key, neighbour.protocol, remote_device, remote.id if remote else None,
                        neighbour.port, device_id, local.id if local else None,
                        neighbour.local_port, heard, reporter, reporter_is_a=False,
                        reporter_port=reporter_port)
    return SeenLink(key, neighbour.protocol, device_id, local.id if local else None,
                    neighbour.local_port, remote_device, remote.id if remote else None,
                    neighbour.port, heard, reporter, reporter_port=reporter_port)
