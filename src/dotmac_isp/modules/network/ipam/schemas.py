"""Request and response bodies of the IPAM API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from dotmac_isp.modules.network.ipam.enums import (
    AllocationStatus,
    HolderType,
    PoolKind,
    PrefixRole,
    PrefixStatus,
)


def _printable(value: str) -> str:
    if any(not c.isprintable() for c in value):
        raise ValueError("must not contain control characters")
    return value


Name = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_printable)]
Description = Annotated[str, Field(max_length=255), AfterValidator(_printable)]
IPText = Annotated[str, Field(min_length=1, max_length=64,
                              examples=["10.20.0.0/16", "2001:db8::/48"])]
Threshold = Annotated[int, Field(ge=1, le=100, description="Alert at this utilization (%)")]
# Callers allocate or reserve; HELD is set only by the subscription lifecycle.
Assignable = Literal[AllocationStatus.ALLOCATED, AllocationStatus.RESERVED]


class ORM(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# VRFs ------------------------------------------------------------------------------------

class VrfCreate(BaseModel):
    name: Name
    rd: Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[0-9A-Za-z.:]+$",
                             description="Route distinguisher, e.g. 65000:100")] | None = None
    description: Description = ""


class VrfUpdate(BaseModel):
    name: Name | None = None
    rd: Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[0-9A-Za-z.:]+$")] | None \
        = None
    description: Description | None = None


class VrfOut(ORM):
    id: uuid.UUID
    name: str
    rd: str | None
    description: str
    created_at: datetime


# Prefixes --------------------------------------------------------------------------------

class PrefixCreate(BaseModel):
    network: IPText = Field(description="address/length with no host bits set")
    vrf_id: uuid.UUID | None = None
    role: PrefixRole
    status: PrefixStatus = PrefixStatus.ACTIVE
    description: Description = ""
    alert_threshold_percent: Threshold = 90


class PrefixUpdate(BaseModel):
    role: PrefixRole | None = None
    status: PrefixStatus | None = None
    description: Description | None = None
    alert_threshold_percent: Threshold | None = None


class PrefixOut(ORM):
    id: uuid.UUID
    vrf_id: uuid.UUID | None
    parent_id: uuid.UUID | None
    family: int
    network: str
    prefix_length: int
    depth: int
    role: PrefixRole
    status: PrefixStatus
    description: str
    alert_threshold_percent: int
    created_at: datetime


class UtilizationOut(BaseModel):
    used: int = Field(description="Addresses in use (a delegated prefix counts all it holds)")
    total: int
    free: int
    percent: float
    threshold_percent: int
    above_threshold: bool


class PoolUtilizationOut(UtilizationOut):
    unit: str = Field(description="'address' or 'prefix': what used/total count")
    allocated: int
    reserved: int
    held: int


class TreeNodeOut(PrefixOut):
    pool_id: uuid.UUID | None
    pool_name: str | None
    utilization: UtilizationOut


# Pools -----------------------------------------------------------------------------------

class PoolCreate(BaseModel):
    name: Name
    prefix_id: uuid.UUID
    kind: PoolKind = PoolKind.ADDRESS
    delegated_length: int | None = Field(None, ge=1, le=128,
                                         description="Delegation pools: /56, /60, /64 ...")
    fully_usable: bool = Field(False, description="Hand out network/broadcast/anycast too")
    gateway: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(
        None, description="Reserve this address of the pool as its gateway")
    alert_threshold_percent: Threshold = 90
    description: Description = ""


class PoolUpdate(BaseModel):
    name: Name | None = None
    fully_usable: bool | None = None
    gateway: Annotated[str, Field(max_length=64)] | None = Field(
        None, description="A new gateway address, or an empty string to drop it")
    alert_threshold_percent: Threshold | None = None
    description: Description | None = None


class PoolOut(ORM):
    id: uuid.UUID
    name: str
    prefix_id: uuid.UUID
    vrf_id: uuid.UUID | None
    family: int
    network: str
    kind: PoolKind
    delegated_length: int | None
    fully_usable: bool
    gateway: str | None
    alert_threshold_percent: int
    description: str
    allocated_count: int
    created_at: datetime


# Allocations -----------------------------------------------------------------------------

class AllocationCreate(BaseModel):
    address: IPText | None = Field(
        None, description="A specific address (or, in a delegation pool, a prefix); "
                          "omit for the next free one")
    status: Assignable = AllocationStatus.ALLOCATED
    holder_type: HolderType = HolderType.OTHER
    holder_id: uuid.UUID | None = None
    description: Description = ""


class AllocationUpdate(BaseModel):
    status: Assignable | None = None
    holder_type: HolderType | None = None
    holder_id: uuid.UUID | None = None
    description: Description | None = None


class AllocationOut(ORM):
    id: uuid.UUID
    pool_id: uuid.UUID
    family: int
    address: str
    prefix_length: int
    cidr: str
    status: AllocationStatus
    holder_type: HolderType
    holder_id: uuid.UUID | None
    description: str
    assigned_at: datetime
    held_since: datetime | None


class HistoryOut(ORM):
    id: uuid.UUID
    allocation_id: uuid.UUID
    pool_id: uuid.UUID
    vrf_id: uuid.UUID | None
    family: int
    address: str
    prefix_length: int
    status: AllocationStatus
    holder_type: HolderType
    holder_id: uuid.UUID | None
    description: str
    assigned_at: datetime
    released_at: datetime | None


class AlertOut(ORM):
    id: uuid.UUID
    subject_type: str
    pool_id: uuid.UUID | None
    prefix_id: uuid.UUID | None
    label: str
    threshold_percent: int
    utilization_percent: float
    summary: str
    crossed_at: datetime
    cleared_at: datetime | None


class SubscriptionAddressesOut(BaseModel):
    subscription_id: uuid.UUID
    ipv4_address: str | None
    ipv6_address: str | None
    ipv6_delegated_prefix: str | None
    allocations: list[AllocationOut]
