"""Small typed factories for the devices tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.devices import schemas, service
from dotmac_isp.modules.network.devices.models import Device, Interface, Site


def make_site(session: Session, tenant: Tenant, name: str = "Ikeja POP", **overrides: Any) -> Site:
    return service.create_site(session, tenant.id, schemas.SiteCreate(name=name, **overrides))


def make_device(session: Session, settings: Settings, tenant: Tenant, name: str = "core-1",
                **overrides: Any) -> Device:
    data: dict[str, Any] = {"name": name, "device_type": "router",
                            "management_ip": "127.0.0.1", **overrides}
    return service.create_device(session, settings, tenant.id, schemas.DeviceCreate(**data))


def make_interface(session: Session, device: Device, if_index: int = 1, name: str = "ge-0/0/1",
                   **overrides: Any) -> Interface:
    interface = Interface(tenant_id=device.tenant_id, device_id=device.id, if_index=if_index,
                          name=name, **overrides)
    session.add(interface)
    session.flush()
    return interface
