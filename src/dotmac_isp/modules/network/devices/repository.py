"""Tenant-scoped reads of sites, devices and interfaces."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, or_

from dotmac_isp.modules.network.devices.models import Device, Interface, Site
from dotmac_isp.shared.tenancy import TenantRepository


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class SiteRepository(TenantRepository[Site]):
    model = Site
    not_found_message = "site not found"

    def by_name(self, name: str) -> Site | None:
        return self.session.scalars(self.select().where(Site.name == name)).one_or_none()

    def search(self, query: str | None) -> Select[Any]:
        stmt = self.select().order_by(Site.name)
        if query:
            pattern = _like(query)
            stmt = stmt.where(or_(Site.name.ilike(pattern, escape="\\"),
                                  Site.address.ilike(pattern, escape="\\")))
        return stmt


class DeviceRepository(TenantRepository[Device]):
    model = Device
    not_found_message = "device not found"

    def by_name(self, name: str) -> Device | None:
        return self.session.scalars(self.select().where(Device.name == name)).one_or_none()

    def search(self, query: str | None = None, *, site_id: uuid.UUID | None = None,
               device_type: str | None = None, reachability: str | None = None,
               status: str | None = None) -> Select[Any]:
        stmt = self.select().order_by(Device.name)
        if query:
            pattern = _like(query)
            stmt = stmt.where(or_(Device.name.ilike(pattern, escape="\\"),
                                  Device.management_ip.ilike(pattern, escape="\\"),
                                  Device.serial_number.ilike(pattern, escape="\\")))
        if site_id is not None:
            stmt = stmt.where(Device.site_id == site_id)
        if device_type is not None:
            stmt = stmt.where(Device.device_type == device_type)
        if reachability is not None:
            stmt = stmt.where(Device.reachability == reachability)
        if status is not None:
            stmt = stmt.where(Device.status == status)
        return stmt

    def children_of(self, parent_ids: list[uuid.UUID]) -> list[Device]:
        if not parent_ids:
            return []
        return list(self.session.scalars(
            self.select().where(Device.parent_device_id.in_(parent_ids))))


class InterfaceRepository(TenantRepository[Interface]):
    model = Interface
    not_found_message = "interface not found"

    def of_device(self, device_id: uuid.UUID) -> Select[Any]:
        return self.select().where(Interface.device_id == device_id).order_by(Interface.if_index)

    def all_of_device(self, device_id: uuid.UUID) -> list[Interface]:
        return list(self.session.scalars(self.of_device(device_id)))
