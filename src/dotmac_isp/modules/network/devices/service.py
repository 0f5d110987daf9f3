"""Inventory: sites, devices and interfaces. Services flush; callers commit."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.network.devices import credentials, schemas
from dotmac_isp.modules.network.devices.enums import SUBSCRIBER_DEVICE_TYPES, Reachability
from dotmac_isp.modules.network.devices.models import Device, Interface, Site
from dotmac_isp.modules.network.devices.polling import export
from dotmac_isp.modules.network.devices.repository import (
    DeviceRepository,
    InterfaceRepository,
    SiteRepository,
)
from dotmac_isp.modules.services import service as services_service
from dotmac_isp.sdks import ssh_backup
from dotmac_isp.shared import references
from dotmac_isp.shared.errors import Conflict, ValidationFailed
from dotmac_isp.shared.pagination import Page, PageParams

_SECRETS = {"snmp_community": "snmp_community_enc", "snmp_auth_key": "snmp_auth_key_enc",
            "snmp_priv_key": "snmp_priv_key_enc", "ssh_password": "ssh_password_enc",
            "ssh_private_key": "ssh_private_key_enc"}
_MAX_TREE_DEPTH = 32
_REFERENCES = frozenset({"site_id", "parent_device_id", "subscription_id"})


# Sites ---------------------------------------------------------------------------------

def list_sites(session: Session, tenant_id: uuid.UUID, params: PageParams,
               query: str | None = None) -> Page[Site]:
    repo = SiteRepository(session, tenant_id)
    return repo.list(params, repo.search(query))


def get_site(session: Session, tenant_id: uuid.UUID, site_id: uuid.UUID) -> Site:
    return SiteRepository(session, tenant_id).get(site_id)


def find_site(session: Session, tenant_id: uuid.UUID, site_id: uuid.UUID) -> Site | None:
    return SiteRepository(session, tenant_id).find(site_id)


def create_site(session: Session, tenant_id: uuid.UUID, data: schemas.SiteCreate) -> Site:
    """Add a site (a POP, tower or cabinet) to the inventory."""
    repo = SiteRepository(session, tenant_id)
    if repo.by_name(data.name) is not None:
        raise Conflict(f"a site named {data.name!r} already exists")
    return repo.add(Site(**data.model_dump()))


def update_site(session: Session, tenant_id: uuid.UUID, site_id: uuid.UUID,
                data: schemas.SiteUpdate) -> Site:
    repo = SiteRepository(session, tenant_id)
    site = repo.get(site_id)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("name") is None:
        changes.pop("name", None)
    if "name" in changes and changes["name"] != site.name and repo.by_name(changes["name"]):
        raise Conflict(f"a site named {changes['name']!r} already exists")
    for key in ("description", "address"):
        if key in changes and changes[key] is None:
            changes.pop(key)
    for key, value in changes.items():
        setattr(site, key, value)
    if (site.latitude is None) != (site.longitude is None):
        raise ValidationFailed("give both latitude and longitude, or neither")
    session.flush()
    return site


def delete_site(session: Session, tenant_id: uuid.UUID, site_id: uuid.UUID) -> None:
    """Remove a site; its devices stay, without a site."""
    repo = SiteRepository(session, tenant_id)
    repo.delete(repo.get(site_id))


# Devices -------------------------------------------------------------------------------

def list_devices(session: Session, tenant_id: uuid.UUID, params: PageParams, *,
                 query: str | None = None, site_id: uuid.UUID | None = None,
                 device_type: str | None = None, reachability: str | None = None,
                 status: str | None = None) -> Page[Device]:
    repo = DeviceRepository(session, tenant_id)
    return repo.list(params, repo.search(query, site_id=site_id, device_type=device_type,
                                         reachability=reachability, status=status))


def get_device(session: Session, tenant_id: uuid.UUID, device_id: uuid.UUID) -> Device:
    return DeviceRepository(session, tenant_id).get(device_id)


def find_device(session: Session, tenant_id: uuid.UUID, device_id: uuid.UUID) -> Device | None:
    return DeviceRepository(session, tenant_id).find(device_id)


def find_devices(session: Session, tenant_id: uuid.UUID,
                 device_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Device]:
    """The tenant's devices among the ids, in one query."""
    if not device_ids:
        return {}
    repo = DeviceRepository(session, tenant_id)
    return {d.id: d for d in session.scalars(repo.select().where(Device.id.in_(device_ids)))}


def _check_references(session: Session, tenant_id: uuid.UUID, device: Device,
                      changed: Collection[str]) -> None:
    """The ids the request set must name rows of this tenant; the uplinks make no loop."""
    if "site_id" in changed:
        references.optional(session, SiteRepository(session, tenant_id).find, device.site_id,
                            "site_id", "site")
    if "parent_device_id" in changed and device.parent_device_id is not None:
        repo = DeviceRepository(session, tenant_id)
        parent = references.referenced(session, repo.find, device.parent_device_id,
                                       "parent_device_id", "device")
        for _ in range(_MAX_TREE_DEPTH):
            if parent.id == device.id:
                raise ValidationFailed("parent_device_id would make a loop of uplinks")
            if parent.parent_device_id is None:
                break
            next_parent = repo.find(parent.parent_device_id)
            if next_parent is None:
                break
            parent = next_parent
    if device.subscription_id is not None and device.device_type not in SUBSCRIBER_DEVICE_TYPES:
        raise ValidationFailed("only a CPE or ONU can be assigned to a subscription")
    if "subscription_id" in changed:
        references.optional(session, partial(services_service.get_subscription, session,
                                             tenant_id),
                            device.subscription_id, "subscription_id", "subscription")


def _check_snmp(device: Device) -> None:
    if device.snmp_version == "v3":
        if not device.snmp_username:
            raise ValidationFailed("SNMPv3 needs snmp_username")
        if device.snmp_auth_protocol != "none" and not device.snmp_auth_key_enc:
            raise ValidationFailed("snmp_auth_key is needed for the chosen auth protocol")
        if device.snmp_priv_protocol != "none":
            if device.snmp_auth_protocol == "none":
                raise ValidationFailed("SNMPv3 privacy (encryption) needs an auth protocol")
            if not device.snmp_priv_key_enc:
                raise ValidationFailed("snmp_priv_key is needed for the chosen priv protocol")


def _check_backup(device: Device) -> None:
    kind = device.netmiko_device_type
    if kind is not None and kind not in ssh_backup.known_device_types():
        raise ValidationFailed(f"netmiko_device_type {kind!r} is not a netmiko platform "
                               f"(e.g. cisco_ios, juniper_junos, mikrotik_routeros, linux)")
    if device.backup_enabled:
        if not kind:
            raise ValidationFailed("backup needs netmiko_device_type")
        if not device.backup_command and ssh_backup.default_command(kind) is None:
            raise ValidationFailed(f"no default backup command for {kind}; set backup_command")
        if not device.ssh_username:
            raise ValidationFailed("backup needs ssh_username")
        if not (device.ssh_password_enc or device.ssh_private_key_enc):
            raise ValidationFailed("backup needs ssh_password or ssh_private_key")
        if not device.management_ip:
            raise ValidationFailed("backup needs management_ip")


def _apply(device: Device, settings: Settings, changes: dict[str, Any]) -> None:
    for field, column in _SECRETS.items():
        if field in changes:
            value = changes.pop(field)
            if field == "ssh_private_key" and value:
                try:  # refuse an unreadable key now, not at the 2am backup
                    ssh_backup.load_private_key(value)
                except ssh_backup.ConfigBackupError as exc:
                    raise ValidationFailed(f"ssh_private_key: {exc.detail}") from exc
            setattr(device, column, credentials.seal(settings, value))
    for key, value in changes.items():
        setattr(device, key, value.value if hasattr(value, "value") else value)


def create_device(session: Session, settings: Settings, tenant_id: uuid.UUID,
                  data: schemas.DeviceCreate) -> Device:
    """Add a device; it is polled from the next cycle on when it has SNMP credentials."""
    repo = DeviceRepository(session, tenant_id)
    if repo.by_name(data.name) is not None:
        raise Conflict(f"a device named {data.name!r} already exists")
    device = Device(tenant_id=tenant_id)
    defaults = {c.key: c.default.arg for c in Device.__table__.columns
                if c.default is not None and not callable(c.default.arg)}
    for key, value in defaults.items():
        setattr(device, key, value)
    _apply(device, settings, data.model_dump(exclude_none=True))
    if device.snmp_version == "v2c" and device.snmp_community_enc is None and \
            "snmp_community" not in data.model_fields_set:
        device.snmp_community_enc = credentials.seal(settings, "public")
    _validate(session, tenant_id, device, _REFERENCES)
    return repo.add(device)


def _validate(session: Session, tenant_id: uuid.UUID, device: Device,
              changed: Collection[str]) -> None:
    if (device.latitude is None) != (device.longitude is None):
        raise ValidationFailed("give both latitude and longitude, or neither")
    _check_references(session, tenant_id, device, changed)
    _check_snmp(device)
    _check_backup(device)


def update_device(session: Session, settings: Settings, tenant_id: uuid.UUID,
                  device_id: uuid.UUID, data: schemas.DeviceUpdate) -> Device:
    repo = DeviceRepository(session, tenant_id)
    device = repo.get(device_id)
    changes = data.model_dump(exclude_unset=True)
    nullable = {"management_ip", "site_id", "parent_device_id", "subscription_id", "cpu_oid",
                "memory_oid", "snmp_username", "ssh_username", "netmiko_device_type",
                "backup_command", "latitude", "longitude", *_SECRETS}
    changes = {k: v for k, v in changes.items() if v is not None or k in nullable}
    name = changes.get("name")
    if name is not None and name != device.name and repo.by_name(name) is not None:
        raise Conflict(f"a device named {name!r} already exists")
    polling_changed = any(k.startswith("snmp_") or k in ("management_ip", "poll_interval_seconds",
                                                         "monitoring_enabled")
                          for k in changes)
    changed = set(changes)
    _apply(device, settings, changes)
    _validate(session, tenant_id, device, changed)
    if polling_changed:
        device.next_poll_at = None  # poll with the new settings on the next cycle
    session.flush()
    return device


def delete_device(session: Session, tenant_id: uuid.UUID, device_id: uuid.UUID) -> None:
    """Remove a device with its interfaces, time series and backups."""
    repo = DeviceRepository(session, tenant_id)
    device = repo.get(device_id)
    interfaces = InterfaceRepository(session, tenant_id).all_of_device(device.id)
    repo.delete(device)
    export.forget_device(device, interfaces)


def device_subtree(session: Session, tenant_id: uuid.UUID, device_id: uuid.UUID) -> list[Device]:
    """The device and everything that hangs off it (by uplink), breadth first."""
    repo = DeviceRepository(session, tenant_id)
    root = repo.get(device_id)
    found, frontier, seen = [root], [root.id], {root.id}
    for _ in range(_MAX_TREE_DEPTH):
        children = [d for d in repo.children_of(frontier) if d.id not in seen]
        if not children:
            break
        found.extend(children)
        seen.update(d.id for d in children)
        frontier = [d.id for d in children]
    return found


def subscriptions_behind(session: Session, tenant_id: uuid.UUID,
                         device_id: uuid.UUID) -> list[uuid.UUID]:
    """Subscriptions served by CPEs/ONUs at or below this device."""
    return sorted({d.subscription_id for d in device_subtree(session, tenant_id, device_id)
                   if d.subscription_id is not None}, key=str)


def is_subscriber_device(device_type: str) -> bool:
    return device_type in {t.value for t in SUBSCRIBER_DEVICE_TYPES}


# Interfaces ----------------------------------------------------------------------------

def list_interfaces(session: Session, tenant_id: uuid.UUID, device_id: uuid.UUID,
                    params: PageParams) -> Page[Interface]:
    get_device(session, tenant_id, device_id)
    repo = InterfaceRepository(session, tenant_id)
    return repo.list(params, repo.of_device(device_id))


def device_interfaces(session: Session, tenant_id: uuid.UUID,
                      device_id: uuid.UUID) -> list[Interface]:
    return InterfaceRepository(session, tenant_id).all_of_device(device_id)


def get_interface(session: Session, tenant_id: uuid.UUID, interface_id: uuid.UUID) -> Interface:
    return InterfaceRepository(session, tenant_id).get(interface_id)


def update_interface(session: Session, tenant_id: uuid.UUID, interface_id: uuid.UUID,
                     data: schemas.InterfaceUpdate) -> Interface:
    interface = get_interface(session, tenant_id, interface_id)
    for key, value in data.model_dump(exclude_none=True).items():
        setattr(interface, key, value)
    session.flush()
    return interface



def site_by_name(session: Session, tenant_id: uuid.UUID, name: str) -> Site | None:
    return SiteRepository(session, tenant_id).by_name(name)


def device_by_name(session: Session, tenant_id: uuid.UUID, name: str) -> Device | None:
    return DeviceRepository(session, tenant_id).by_name(name)


def down_addresses(session: Session, tenant_id: uuid.UUID,
                   addresses: Collection[str]) -> set[str]:
    """Which of the management addresses belong to a device of the tenant that is down."""
    if not addresses:
        return set()
    repo = DeviceRepository(session, tenant_id)
    return set(session.scalars(repo.select().with_only_columns(Device.management_ip).where(
        Device.management_ip.in_(list(addresses)), Device.reachability == Reachability.DOWN)))
