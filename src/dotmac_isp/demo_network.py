"""The demo ISP's network: a site with a core router, a BNG that is also its RADIUS NAS, an
OLT and a switch. Monitoring is off, since nothing answers SNMP at these addresses."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.devices import schemas as device_schemas
from dotmac_isp.modules.network.devices import service as devices
from dotmac_isp.modules.network.radius import nas as radius_nas
from dotmac_isp.modules.network.radius import schemas as radius_schemas
from dotmac_isp.modules.network.topology import demo as topology_demo

NAS_SECRET = "demo-radius-secret"
DEVICES = (
    ("core-1", "router", "Juniper", "MX204", "10.255.10.2"),
    ("bng-1", "router", "MikroTik", "CCR2216", "10.255.10.3"),
    ("olt-1", "olt", "Huawei", "MA5800-X7", "10.255.10.4"),
    ("switch-1", "switch", "Cisco", "C9300-48P", "10.255.10.5"),
)


def seed(session: Session, settings: Settings, tenant: Tenant, created: list[str]) -> None:
    """Create the demo site, devices and NAS (skipped if the site exists)."""
    if devices.site_by_name(session, tenant.id, "Lagos POP") is not None:
        return
    site = devices.create_site(session, tenant.id, device_schemas.SiteCreate(
        name="Lagos POP", address="12 Marina Road, Lagos", latitude=Decimal("6.4541"),
        longitude=Decimal("3.3947")))
    made = {name: devices.create_device(session, settings, tenant.id, device_schemas.DeviceCreate(
        name=name, device_type=kind, vendor=vendor, model=model,
        management_ip=ip, site_id=site.id, monitoring_enabled=False)).id
        for name, kind, vendor, model, ip in DEVICES}
    topology_demo.seed(session, tenant.id, made)
    radius_nas.create_nas(session, settings, tenant.id, radius_schemas.NasCreate(
        name="Demo BNG (this machine)", address="127.0.0.1", secret=NAS_SECRET,
        vendor="mikrotik",
        description="radtest/radclient from this machine can try the demo subscribers"))
    created.append(f"1 site, {len(DEVICES)} devices and their links, 1 NAS")
