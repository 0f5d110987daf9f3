"""Topology API shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class NeighbourOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    link_id: uuid.UUID
    protocol: str
    local_port: str
    local_interface_id: uuid.UUID | None
    device_id: uuid.UUID | None  # null: a neighbour we do not manage
    device_name: str
    port: str
    chassis_id: str
    address: str | None
    description: str
    discovered_at: datetime
    last_seen_at: datetime


class NodeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    device_id: uuid.UUID
    is_core: bool
    chassis_id: str
    sys_name: str
    neighbours_seen: int
    last_scan_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None


class NodeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    is_core: bool


class DiscoveryOut(BaseModel):
    node: NodeOut
    links_new: int
    neighbours: list[NeighbourOut]


class ImpactOut(BaseModel):
    device_id: uuid.UUID
    device_ids: list[uuid.UUID]
    subscription_ids: list[uuid.UUID]


class GraphOut(BaseModel):
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    truncated: bool
