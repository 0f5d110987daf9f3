"""Where the MACs of a subscriber's installed CPE come from: a hook the inventory registers.

    register_cpe_source(lambda session, ids: {(tenant_id, subscription_id): {"aa:bb:..."}})

The source is asked in bulk when profiles are loaded into the servers' cache (ids None: all
of them), never per packet. A plan with require_cpe_mac then accepts a subscriber only from
a Calling-Station-Id that is one of these MACs. With no source registered no MAC is known,
and such a plan rejects everyone: the requirement is never silently dropped.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping

from sqlalchemy.orm import Session

Key = tuple[uuid.UUID, uuid.UUID]  # (tenant_id, subscription_id)
CpeSource = Callable[[Session, Collection[uuid.UUID] | None], Mapping[Key, frozenset[str]]]
_sources: list[CpeSource] = []


def register_cpe_source(source: CpeSource) -> CpeSource:
    if source not in _sources:
        _sources.append(source)
    return source


def bound_macs(session: Session, subscription_ids: Collection[uuid.UUID] | None,
               ) -> dict[Key, frozenset[str]]:
    found: dict[Key, frozenset[str]] = {}
    for source in _sources:
        for key, macs in source(session, subscription_ids).items():
            found[key] = found.get(key, frozenset()) | macs
    return found
