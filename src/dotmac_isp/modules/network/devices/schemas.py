"""Request and response bodies of the devices API (inventory and SNMP settings)."""

from __future__ import annotations

import ipaddress
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from dotmac_isp.modules.network.devices.enums import (
    DeviceStatus,
    DeviceType,
    Reachability,
    SnmpAuthProtocol,
    SnmpPrivProtocol,
    SnmpVersion,
)
from dotmac_isp.sdks.snmp import normalize_oid
from dotmac_isp.shared.timestamps import AwareUTCDateTimeIn


def _printable(value: str) -> str:
    if any(ord(ch) < 32 and ch not in "\t\r\n" for ch in value):
        raise ValueError("must not contain control characters")
    return value


def _one_line(value: str) -> str:
    if any(ord(ch) < 32 for ch in value):
        raise ValueError("must be a single line without control characters")
    return value.strip()


def _ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise ValueError(f"{value!r} is not an IPv4 or IPv6 address") from None


def _oid(value: str) -> str:
    return normalize_oid(value)


Text = Annotated[str, AfterValidator(_printable)]
Line = Annotated[str, AfterValidator(_one_line)]
IPAddressText = Annotated[str, Field(max_length=45), AfterValidator(_ip)]
OIDText = Annotated[str, Field(max_length=128), AfterValidator(_oid)]
Secret = Annotated[str, Field(max_length=4096), AfterValidator(_printable)]
UTCTime = AwareUTCDateTimeIn
Latitude = Annotated[Decimal, Field(ge=-90, le=90, max_digits=9, decimal_places=6)]
Longitude = Annotated[Decimal, Field(ge=-180, le=180, max_digits=9, decimal_places=6)]


class ORM(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# Sites ---------------------------------------------------------------------------------

class SiteCreate(BaseModel):
    name: Line = Field(min_length=1, max_length=200)
    description: Text = Field("", max_length=2000)
    address: Line = Field("", max_length=500)
    latitude: Latitude | None = None
    longitude: Longitude | None = None

    @model_validator(mode="after")
    def _both_coordinates(self) -> SiteCreate:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("give both latitude and longitude, or neither")
        return self


class SiteUpdate(BaseModel):
    name: Line | None = Field(None, min_length=1, max_length=200)
    description: Text | None = Field(None, max_length=2000)
    address: Line | None = Field(None, max_length=500)
    latitude: Latitude | None = None
    longitude: Longitude | None = None


class SiteOut(ORM):
    id: uuid.UUID
    name: str
    description: str
    address: str
    latitude: Decimal | None
    longitude: Decimal | None
    created_at: datetime


# Devices -------------------------------------------------------------------------------

class _DeviceFields(BaseModel):
    """Fields shared by create and update; secrets are write-only."""

    vendor: Line | None = Field(None, max_length=100)
    model: Line | None = Field(None, max_length=100)
    serial_number: Line | None = Field(None, max_length=100)
    firmware_version: Line | None = Field(None, max_length=100)
    management_ip: IPAddressText | None = None
    site_id: uuid.UUID | None = None
    parent_device_id: uuid.UUID | None = Field(
        None, description="The upstream device (the OLT of an ONU, the AP of a CPE)")
    subscription_id: uuid.UUID | None = Field(
        None, description="The subscription a CPE or ONU serves")
    status: DeviceStatus | None = None
    notes: Text | None = Field(None, max_length=5000)
    latitude: Latitude | None = Field(None, description="where the device stands, when not "
                                                         "at its site (both or neither)")
    longitude: Longitude | None = None
    monitoring_enabled: bool | None = None
    snmp_version: SnmpVersion | None = None
    snmp_port: int | None = Field(None, ge=1, le=65535)
    snmp_community: Secret | None = Field(None, description="write-only")
    snmp_username: Line | None = Field(None, max_length=64)
    snmp_auth_protocol: SnmpAuthProtocol | None = None
    snmp_auth_key: Secret | None = Field(None, description="write-only, 8+ characters")
    snmp_priv_protocol: SnmpPrivProtocol | None = None
    snmp_priv_key: Secret | None = Field(None, description="write-only, 8+ characters")
    snmp_timeout_ms: int | None = Field(None, ge=100, le=30_000)
    snmp_retries: int | None = Field(None, ge=0, le=5)
    poll_interval_seconds: int | None = Field(None, ge=10, le=86_400)
    down_after_failures: int | None = Field(None, ge=1, le=100)
    cpu_oid: OIDText | None = Field(None, description="numeric OID answering CPU %")
    memory_oid: OIDText | None = Field(None, description="numeric OID answering memory %")
    backup_enabled: bool | None = None
    ssh_port: int | None = Field(None, ge=1, le=65535)
    ssh_username: Line | None = Field(None, max_length=64)
    ssh_password: Secret | None = Field(None, description="write-only")
    ssh_private_key: Secret | None = Field(None, description="write-only, PEM/OpenSSH text")
    netmiko_device_type: Line | None = Field(
        None, max_length=64, description="netmiko platform, e.g. cisco_ios, mikrotik_routeros")
    backup_command: Line | None = Field(None, max_length=500)
    backup_interval_hours: int | None = Field(None, ge=1, le=24 * 31)

    @model_validator(mode="after")
    def _keys_long_enough(self) -> Any:
        for name in ("snmp_auth_key", "snmp_priv_key"):
            value = getattr(self, name)
            if value and len(value) < 8:
                raise ValueError(f"{name} must be at least 8 characters (SNMPv3 requires it)")
        return self


class DeviceCreate(_DeviceFields):
    name: Line = Field(min_length=1, max_length=200)
    device_type: DeviceType


class DeviceUpdate(_DeviceFields):
    """Only the fields sent change; send "" for a secret to clear it."""

    name: Line | None = Field(None, min_length=1, max_length=200)
    device_type: DeviceType | None = None


class DeviceOut(ORM):
    id: uuid.UUID
    name: str
    device_type: str
    vendor: str
    model: str
    serial_number: str
    firmware_version: str
    management_ip: str | None
    site_id: uuid.UUID | None
    parent_device_id: uuid.UUID | None
    subscription_id: uuid.UUID | None
    status: str
    notes: str
    latitude: Decimal | None
    longitude: Decimal | None
    monitoring_enabled: bool
    snmp_version: str
    snmp_port: int
    snmp_username: str | None
    snmp_auth_protocol: str
    snmp_priv_protocol: str
    snmp_timeout_ms: int
    snmp_retries: int
    poll_interval_seconds: int
    down_after_failures: int
    cpu_oid: str | None
    memory_oid: str | None
    snmp_community_set: bool
    snmp_auth_key_set: bool
    snmp_priv_key_set: bool
    reachability: Reachability
    consecutive_failures: int
    last_polled_at: datetime | None
    next_poll_at: datetime | None
    last_seen_at: datetime | None
    last_poll_error: str | None
    response_ms: float | None
    sys_descr: str | None
    sys_name: str | None
    sys_uptime_seconds: int | None
    cpu_pct: float | None
    memory_pct: float | None
    state_changed_at: datetime | None
    backup_enabled: bool
    ssh_port: int
    ssh_username: str | None
    ssh_password_set: bool
    ssh_private_key_set: bool
    netmiko_device_type: str | None
    backup_command: str | None
    backup_interval_hours: int
    last_backup_at: datetime | None
    last_backup_error: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, device: Any) -> DeviceOut:
        fields = {k: getattr(device, k) for k in cls.model_fields if hasattr(device, k)}
        return cls.model_validate({**fields, **device.secrets_summary()})


# Interfaces ----------------------------------------------------------------------------

class InterfaceOut(ORM):
    id: uuid.UUID
    device_id: uuid.UUID
    if_index: int
    name: str
    description: str
    alias: str
    speed_mbps: int | None
    monitored: bool
    admin_status: str
    oper_status: str
    in_bps: float | None
    out_bps: float | None
    utilization_pct: float | None
    last_counter_at: datetime | None


class InterfaceUpdate(BaseModel):
    alias: Line | None = Field(None, max_length=255)
    monitored: bool | None = None
    speed_mbps: int | None = Field(None, ge=1, le=10_000_000,
                                   description="override the speed the device reports")
