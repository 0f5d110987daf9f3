"""Devices JSON API: sites, devices, interfaces, poll now, and the metric time series."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel

from dotmac_isp.modules.identity.deps import AppSettings, DbSession, require
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.identity.principal import Principal
from dotmac_isp.modules.network.devices import schemas, service
from dotmac_isp.modules.network.devices.enums import DeviceStatus, DeviceType, Reachability
from dotmac_isp.modules.network.devices.models import Interface, Site
from dotmac_isp.modules.network.devices.polling import series
from dotmac_isp.modules.network.devices.polling import service as polling
from dotmac_isp.modules.network.devices.schemas import UTCTime
from dotmac_isp.modules.network.devices.settings import get_devices_settings
from dotmac_isp.shared.pagination import Page, PageParams, page_params
from dotmac_isp.shared.types import utcnow

router = APIRouter()
Paging = Annotated[PageParams, Depends(page_params)]
P = Permission
READ, WRITE = require(P.NETWORK_READ), require(P.NETWORK_WRITE)
NO_CONTROL = r"^[^\x00-\x1f]*$"


# Sites ---------------------------------------------------------------------------------

@router.get("/sites", response_model=Page[schemas.SiteOut], tags=["sites"])
def list_sites(session: DbSession, paging: Paging,
               q: str | None = Query(None, max_length=200, pattern=NO_CONTROL,
                                    description="name or address"),
               principal: Principal = READ) -> Page[Site]:
    return service.list_sites(session, principal.tenant_id, paging, q)


@router.post("/sites", response_model=schemas.SiteOut, status_code=201, tags=["sites"])
def create_site(body: schemas.SiteCreate, session: DbSession,
                principal: Principal = WRITE) -> Site:
    return service.create_site(session, principal.tenant_id, body)


@router.get("/sites/{site_id}", response_model=schemas.SiteOut, tags=["sites"])
def get_site(site_id: uuid.UUID, session: DbSession, principal: Principal = READ) -> Site:
    return service.get_site(session, principal.tenant_id, site_id)


@router.patch("/sites/{site_id}", response_model=schemas.SiteOut, tags=["sites"])
def update_site(site_id: uuid.UUID, body: schemas.SiteUpdate, session: DbSession,
                principal: Principal = WRITE) -> Site:
    return service.update_site(session, principal.tenant_id, site_id, body)


@router.delete("/sites/{site_id}", status_code=204, tags=["sites"])
def delete_site(site_id: uuid.UUID, session: DbSession, principal: Principal = WRITE) -> Response:
    service.delete_site(session, principal.tenant_id, site_id)
    return Response(status_code=204)


# Devices -------------------------------------------------------------------------------

@router.get("/devices", response_model=Page[schemas.DeviceOut], tags=["devices"])
def list_devices(session: DbSession, paging: Paging,
                 q: str | None = Query(None, max_length=200, pattern=NO_CONTROL,
                                      description="name, IP or serial"),
                 site_id: uuid.UUID | None = None, device_type: DeviceType | None = None,
                 reachability: Reachability | None = None, status: DeviceStatus | None = None,
                 principal: Principal = READ) -> Page[schemas.DeviceOut]:
    page = service.list_devices(session, principal.tenant_id, paging, query=q, site_id=site_id,
                                device_type=device_type.value if device_type else None,
                                reachability=reachability.value if reachability else None,
                                status=status.value if status else None)
    return page.map(schemas.DeviceOut.of)


@router.post("/devices", response_model=schemas.DeviceOut, status_code=201, tags=["devices"])
def create_device(body: schemas.DeviceCreate, session: DbSession, settings: AppSettings,
                  principal: Principal = WRITE) -> schemas.DeviceOut:
    """Add a device. Secrets (community, keys, passwords) are stored encrypted and never
    shown again; the response says only whether each is set."""
    return schemas.DeviceOut.of(service.create_device(session, settings, principal.tenant_id,
                                                      body))


@router.get("/devices/{device_id}", response_model=schemas.DeviceOut, tags=["devices"])
def get_device(device_id: uuid.UUID, session: DbSession,
               principal: Principal = READ) -> schemas.DeviceOut:
    return schemas.DeviceOut.of(service.get_device(session, principal.tenant_id, device_id))


@router.patch("/devices/{device_id}", response_model=schemas.DeviceOut, tags=["devices"])
def update_device(device_id: uuid.UUID, body: schemas.DeviceUpdate, session: DbSession,
                  settings: AppSettings, principal: Principal = WRITE) -> schemas.DeviceOut:
    return schemas.DeviceOut.of(service.update_device(session, settings, principal.tenant_id,
                                                      device_id, body))


@router.delete("/devices/{device_id}", status_code=204, tags=["devices"])
def delete_device(device_id: uuid.UUID, session: DbSession,
                  principal: Principal = WRITE) -> Response:
    service.delete_device(session, principal.tenant_id, device_id)
    return Response(status_code=204)


@router.post("/devices/{device_id}/poll", response_model=schemas.DeviceOut, tags=["devices"])
def poll_device(device_id: uuid.UUID, session: DbSession, settings: AppSettings,
                principal: Principal = WRITE) -> schemas.DeviceOut:
    """Poll the device now over SNMP (with interface discovery) and return its state."""
    device = polling.poll_now(session, settings, principal.tenant_id, device_id)
    return schemas.DeviceOut.of(device)


class DevicePointOut(BaseModel):
    at: datetime
    availability_pct: float
    response_ms: float | None
    cpu_pct: float | None
    memory_pct: float | None


class DeviceMetricsOut(BaseModel):
    device_id: uuid.UUID
    resolution: str
    points: list[DevicePointOut]


def _range(since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    end = until or utcnow()
    return since or end - timedelta(hours=24), end


@router.get("/devices/{device_id}/metrics", response_model=DeviceMetricsOut, tags=["metrics"])
def device_metrics(device_id: uuid.UUID, session: DbSession,
                   since: UTCTime | None = Query(None, description="default: 24 hours ago"),
                   until: UTCTime | None = Query(None, description="default: now"),
                   resolution: Literal["auto", "raw", "hourly"] = "auto",
                   principal: Principal = READ) -> DeviceMetricsOut:
    """Reachability, response time, CPU and memory over time (raw or hourly)."""
    device = service.get_device(session, principal.tenant_id, device_id)
    start, end = _range(since, until)
    chosen, points = series.device_history(
        session, principal.tenant_id, device.id, start, end, now=utcnow(),
        raw_retention=timedelta(days=get_devices_settings().raw_retention_days),
        resolution=resolution)
    return DeviceMetricsOut(device_id=device.id, resolution=chosen,
                            points=[DevicePointOut(**p.__dict__) for p in points])


# Interfaces ----------------------------------------------------------------------------

@router.get("/devices/{device_id}/interfaces", response_model=Page[schemas.InterfaceOut],
            tags=["interfaces"])
def list_interfaces(device_id: uuid.UUID, session: DbSession, paging: Paging,
                    principal: Principal = READ) -> Page[Interface]:
    return service.list_interfaces(session, principal.tenant_id, device_id, paging)


@router.get("/interfaces/{interface_id}", response_model=schemas.InterfaceOut,
            tags=["interfaces"])
def get_interface(interface_id: uuid.UUID, session: DbSession,
                  principal: Principal = READ) -> Interface:
    return service.get_interface(session, principal.tenant_id, interface_id)


@router.patch("/interfaces/{interface_id}", response_model=schemas.InterfaceOut,
              tags=["interfaces"])
def update_interface(interface_id: uuid.UUID, body: schemas.InterfaceUpdate,
                     session: DbSession, principal: Principal = WRITE) -> Interface:
    """Watch or ignore a port (a watched enabled port going down degrades its device)."""
    return service.update_interface(session, principal.tenant_id, interface_id, body)


class TrafficPointOut(BaseModel):
    at: datetime
    in_bps: float
    out_bps: float
    in_bps_max: float | None = None
    out_bps_max: float | None = None


class TrafficOut(BaseModel):
    interface_id: uuid.UUID
    resolution: str
    points: list[TrafficPointOut]


@router.get("/interfaces/{interface_id}/traffic", response_model=TrafficOut, tags=["metrics"])
def interface_traffic(interface_id: uuid.UUID, session: DbSession,
                      since: UTCTime | None = Query(None, description="default: 24 hours ago"),
                      until: UTCTime | None = Query(None, description="default: now"),
                      resolution: Literal["auto", "raw", "hourly"] = "auto",
                      principal: Principal = READ) -> TrafficOut:
    """Bits per second in and out over time: raw points for recent ranges, hourly averages
    and peaks for long ones."""
    interface = service.get_interface(session, principal.tenant_id, interface_id)
    start, end = _range(since, until)
    chosen, points = series.interface_traffic(
        session, principal.tenant_id, interface.id, start, end, now=utcnow(),
        raw_retention=timedelta(days=get_devices_settings().raw_retention_days),
        resolution=resolution)
    return TrafficOut(interface_id=interface.id, resolution=chosen,
                      points=[TrafficPointOut(**p.__dict__) for p in points])
