"""Looking addresses up: what holds an address now, and who held it at a given time.

An address matches an allocation or history row whose range contains it, so an IPv6 address
inside a delegated /56 finds the subscription the /56 was delegated to.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_
from sqlalchemy.orm import Session

from dotmac_isp.modules.network.ipam.addressing import (
    IPAddress,
    IPNetwork,
    as_network,
    network_keys,
    parse_address,
    parse_network,
    supernet_start_keys,
)
from dotmac_isp.modules.network.ipam.enums import HolderType
from dotmac_isp.modules.network.ipam.errors import InvalidPrefixError
from dotmac_isp.modules.network.ipam.models import Allocation, AssignmentHistory, Prefix
from dotmac_isp.modules.network.ipam.repository import (
    AllocationRepository,
    HistoryRepository,
    PrefixRepository,
)
from dotmac_isp.shared.errors import ValidationFailed
from dotmac_isp.shared.pagination import Page, PageParams


def list_history(session: Session, tenant_id: uuid.UUID, params: PageParams, *,
                 address: str | None = None, at: datetime | None = None,
                 vrf_id: uuid.UUID | None = None, holder_type: HolderType | None = None,
                 holder_id: uuid.UUID | None = None) -> Page[AssignmentHistory]:
    """Assignment periods, newest first: of an address (at a moment, if given) or a holder."""
    if address is None and holder_id is None:
        raise ValidationFailed("give an address (and optionally at) or a holder_id")
    repo = HistoryRepository(session, tenant_id)
    stmt = repo.containing(as_network(parse_address(address))) if address else repo.select()
    stmt = stmt.order_by(AssignmentHistory.assigned_at.desc(), AssignmentHistory.id)
    if at is not None:
        stmt = stmt.where(AssignmentHistory.assigned_at <= at,
                          or_(AssignmentHistory.released_at.is_(None),
                              AssignmentHistory.released_at > at))
    if vrf_id is not None:
        stmt = stmt.where(AssignmentHistory.vrf_id == vrf_id)
    if holder_type is not None:
        stmt = stmt.where(AssignmentHistory.holder_type == holder_type.value)
    if holder_id is not None:
        stmt = stmt.where(AssignmentHistory.holder_id == holder_id)
    return repo.list(params, stmt)


def list_allocations(session: Session, tenant_id: uuid.UUID, params: PageParams, *,
                     address: str | None = None, pool_id: uuid.UUID | None = None,
                     status: str | None = None, holder_type: HolderType | None = None,
                     holder_id: uuid.UUID | None = None) -> Page[Allocation]:
    """Current allocations, filtered by an address they contain, pool, status or holder."""
    repo = AllocationRepository(session, tenant_id)
    if address is not None:
        stmt = repo.containing(as_network(parse_address(address)))
    else:
        stmt = repo.select().order_by(Allocation.start_key)
    if pool_id is not None:
        stmt = stmt.where(Allocation.pool_id == pool_id)
    if status is not None:
        stmt = stmt.where(Allocation.status == status)
    if holder_type is not None:
        stmt = stmt.where(Allocation.holder_type == holder_type.value)
    if holder_id is not None:
        stmt = stmt.where(Allocation.holder_id == holder_id)
    return repo.list(params, stmt)


@dataclass
class SearchResult:
    """What the address search page shows for one query."""

    query: str
    address: IPAddress | None = None
    network: IPNetwork | None = None
    prefixes: list[Prefix] = field(default_factory=list)
    allocations: list[Allocation] = field(default_factory=list)
    history: list[AssignmentHistory] = field(default_factory=list)
    error: str | None = None


def search(session: Session, tenant_id: uuid.UUID, query: str, *, limit: int = 50) -> SearchResult:
    """An address: the prefixes containing it, what holds it and who held it. A prefix: the
    prefixes and allocations inside it."""
    result = SearchResult(query=query.strip())
    if not result.query:
        return result
    try:
        if "/" in result.query:
            result.network = parse_network(result.query)
        else:
            result.address = parse_address(result.query)
    except InvalidPrefixError as exc:
        result.error = exc.detail
        return result
    network = result.network or as_network(result.address)  # type: ignore[arg-type]
    start, end = network_keys(network)
    prefixes = PrefixRepository(session, tenant_id)
    result.prefixes = list(session.scalars(prefixes.select().where(or_(
        Prefix.start_key.in_(supernet_start_keys(network)) & (Prefix.end_key >= end),
        (Prefix.start_key >= start) & (Prefix.start_key <= end) & (Prefix.end_key <= end),
    )).order_by(Prefix.start_key, Prefix.prefix_length).limit(limit)))
    allocations = AllocationRepository(session, tenant_id)
    around = list(session.scalars(allocations.containing(network).limit(limit)))
    inside = list(session.scalars(allocations.inside(network).limit(limit)))
    seen: set[uuid.UUID] = set()
    for found in [*around, *inside]:
        if found.id not in seen:
            seen.add(found.id)
            result.allocations.append(found)
    if result.address is not None:
        result.history = list(list_history(session, tenant_id, PageParams(limit=limit),
                                           address=str(result.address)).items)
    return result
