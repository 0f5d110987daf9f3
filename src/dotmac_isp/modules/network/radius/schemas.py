"""RADIUS API shapes."""

from __future__ import annotations

import ipaddress
import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from dotmac_isp.modules.network.radius.enums import NasVendor

_PRINTABLE = "the shared secret must be printable ASCII without spaces"


def normalise_address(value: str) -> str:
    """An address or a range, as a network: 10.0.0.1 -> 10.0.0.1/32."""
    try:
        network = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError as exc:
        raise ValueError("give an IP address (10.0.0.1) or a range (10.0.0.0/24)") from exc
    if network.prefixlen < (16 if network.version == 4 else 48):
        raise ValueError("a NAS range may be at most a /16 (IPv4) or a /48 (IPv6)")
    return str(network)


def _check_secret(value: str | None) -> str | None:
    if value is not None and not all(33 <= ord(ch) <= 126 for ch in value):
        raise ValueError(_PRINTABLE)
    return value


class NasCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    address: str = Field(max_length=64, description="IP address or CIDR range the NAS sends "
                                                    "from")
    secret: str | None = Field(None, min_length=8, max_length=128,
                               description="omit to have one generated; shown only once")
    vendor: NasVendor = NasVendor.GENERIC
    coa_port: int = Field(3799, ge=1, le=65535)
    require_message_authenticator: bool = False
    description: str = Field("", max_length=2000)

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        return normalise_address(value)

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        return _check_secret(value)


class NasUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=100)
    address: str | None = Field(None, max_length=64)
    secret: str | None = Field(None, min_length=8, max_length=128,
                               description="a new shared secret (never shown back)")
    vendor: NasVendor | None = None
    coa_port: int | None = Field(None, ge=1, le=65535)
    require_message_authenticator: bool | None = None
    description: str | None = Field(None, max_length=2000)
    is_active: bool | None = None

    @field_validator("address")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        return None if value is None else normalise_address(value)

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        return _check_secret(value)


class NasOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    address: str
    vendor: str
    coa_port: int
    require_message_authenticator: bool
    description: str
    is_active: bool
    created_at: datetime
    updated_at: datetime


class NasCreated(NasOut):
    secret: str = Field(description="the shared secret; it is not shown again")


class SessionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    radacctid: int
    acctsessionid: str
    acctuniqueid: str
    username: str
    nasipaddress: str
    nasportid: str | None
    nasporttype: str | None
    acctstarttime: datetime | None
    acctupdatetime: datetime | None
    acctstoptime: datetime | None
    acctsessiontime: int | None
    acctinputoctets: int | None
    acctoutputoctets: int | None
    calledstationid: str | None
    callingstationid: str | None
    acctterminatecause: str | None
    framedipaddress: str | None
    framedipv6prefix: str | None
    delegatedipv6prefix: str | None
    nas_id: uuid.UUID | None
    subscription_id: uuid.UUID | None


class PostAuthOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    reply: str
    reason: str
    auth_method: str
    nasipaddress: str
    callingstationid: str | None
    calledstationid: str | None
    authdate: datetime
    nas_id: uuid.UUID | None
    subscription_id: uuid.UUID | None


class CoaRequestOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    nas_id: uuid.UUID | None
    subscription_id: uuid.UUID | None
    radacctid: int | None
    username: str
    acctsessionid: str
    target_address: str
    target_port: int
    kind: str
    reason: str
    attributes: list[Any]
    state: str
    attempts: int
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    completed_at: datetime | None
    response: str
    error_cause: int | None
    error_detail: str
    requested_by: str
    created_at: datetime


class UsageDayOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    usage_date: date
    input_octets: int
    output_octets: int
    session_seconds: int


class UsageOut(BaseModel):
    subscription_id: uuid.UUID
    start_date: date
    end_date: date
    days: list[UsageDayOut]
    month_octets: int = Field(description="download + upload since the first of this month")
    data_cap_mb: int | None
    capped: bool = Field(description="the speed after the cap applies this month")
