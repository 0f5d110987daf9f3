"""The prefix hierarchy, VRFs, and duplicate and overlap validation per VRF."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.modules.identity.models import AuditLog, Tenant
from dotmac_isp.modules.network.ipam import prefixes, schemas
from dotmac_isp.modules.network.ipam.enums import PrefixRole
from dotmac_isp.modules.network.ipam.errors import (
    DuplicatePrefixError,
    PrefixInUseError,
    PrefixOverlapError,
)
from dotmac_isp.modules.network.ipam.models import Prefix
from dotmac_isp.shared.errors import ValidationFailed
from dotmac_isp.shared.pagination import PageParams
from tests.modules.network.ipam.factories import make_pool, make_prefix, make_vrf


def _shape(session: Session, tenant: Tenant) -> list[tuple[str, str | None, int]]:
    """(network, parent network, depth) of every prefix, depth first."""
    nodes = prefixes.list_prefixes(session, tenant.id, PageParams(limit=200)).items
    by_id = {p.id: p for p in nodes}
    return [(p.network, by_id[p.parent_id].network if p.parent_id else None, p.depth)
            for p in nodes]


@pytest.mark.parametrize("family", [4, 6])
def test_prefixes_nest_and_reparent_when_one_is_inserted_or_removed(
        session: Session, tenant: Tenant, family: int) -> None:
    if family == 4:
        top, mid, leaf, between, sibling = ("10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24",
                                            "10.0.0.0/12", "10.200.0.0/16")
    else:
        top, mid, leaf, between, sibling = ("2001:db8::/32", "2001:db8:100::/40",
                                            "2001:db8:100::/48", "2001:db8::/36",
                                            "2001:db8:f000::/40")
    for network in (top, mid, leaf, sibling):
        make_prefix(session, tenant, network)
    assert _shape(session, tenant) == [(top, None, 0), (mid, top, 1), (leaf, mid, 2),
                                       (sibling, top, 1)]

    inserted = make_prefix(session, tenant, between)
    assert _shape(session, tenant) == [(top, None, 0), (between, top, 1), (mid, between, 2),
                                       (leaf, mid, 3), (sibling, top, 1)]

    prefixes.delete_prefix(session, tenant.id, inserted.id)
    assert _shape(session, tenant) == [(top, None, 0), (mid, top, 1), (leaf, mid, 2),
                                       (sibling, top, 1)]


def test_a_new_top_level_prefix_adopts_existing_roots(session: Session, tenant: Tenant) -> None:
    make_prefix(session, tenant, "192.168.1.0/24")
    make_prefix(session, tenant, "192.168.2.0/24")
    make_prefix(session, tenant, "192.168.0.0/16")
    assert _shape(session, tenant) == [("192.168.0.0/16", None, 0),
                                       ("192.168.1.0/24", "192.168.0.0/16", 1),
                                       ("192.168.2.0/24", "192.168.0.0/16", 1)]


def test_duplicates_are_refused_within_a_vrf_but_not_across_vrfs(
        session: Session, tenant: Tenant) -> None:
    blue, red = make_vrf(session, tenant, "blue"), make_vrf(session, tenant, "red")
    make_prefix(session, tenant, "10.0.0.0/24")
    make_prefix(session, tenant, "10.0.0.0/24", vrf=blue)
    make_prefix(session, tenant, "10.0.0.0/24", vrf=red)
    with pytest.raises(DuplicatePrefixError, match=r"10.0.0.0/24 already exists in the global"):
        make_prefix(session, tenant, "10.0.0.0/24")
    with pytest.raises(DuplicatePrefixError, match="VRF 'blue'"):
        make_prefix(session, tenant, "10.0.0.0/24", vrf=blue)
    make_prefix(session, tenant, "2001:db8::/48")
    with pytest.raises(DuplicatePrefixError, match="2001:db8::/48 already exists"):
        make_prefix(session, tenant, "2001:db8:0::/48")
    # the hierarchy is per VRF too: a /16 in blue adopts blue's /24 only
    wide = make_prefix(session, tenant, "10.0.0.0/16", vrf=blue)
    children = prefixes.list_children(session, tenant.id, wide.id, PageParams()).items
    assert [(c.network, c.vrf_id) for c in children] == [("10.0.0.0/24", blue.id)]


def test_a_pool_prefix_cannot_be_subdivided_and_a_pool_needs_a_leaf(
        session: Session, tenant: Tenant) -> None:
    make_pool(session, tenant, "100.64.0.0/24", name="cgnat-1")
    with pytest.raises(PrefixOverlapError, match="overlaps pool 'cgnat-1'"):
        make_prefix(session, tenant, "100.64.0.128/25")
    with pytest.raises(PrefixOverlapError, match="overlaps pool"):
        make_prefix(session, tenant, "100.64.0.9/32")
    container = make_prefix(session, tenant, "100.64.0.0/16")  # around a pool is fine
    with pytest.raises(PrefixOverlapError, match="has child prefixes"):
        make_pool(session, tenant, "100.64.0.0/16", prefix=container)
    other = make_vrf(session, tenant, "other")
    make_prefix(session, tenant, "100.64.0.128/25", vrf=other)  # another VRF is another space


def test_things_in_use_cannot_be_deleted(session: Session, tenant: Tenant) -> None:
    vrf = make_vrf(session, tenant, "mgmt")
    make_prefix(session, tenant, "172.16.0.0/12", vrf=vrf)
    with pytest.raises(PrefixInUseError, match="still has 1 prefix"):
        prefixes.delete_vrf(session, tenant.id, vrf.id)
    pool = make_pool(session, tenant, "198.51.100.0/24")
    with pytest.raises(PrefixInUseError, match="delete the pool first"):
        prefixes.delete_prefix(session, tenant.id, pool.prefix_id)


def test_unknown_vrf_and_updates(session: Session, tenant: Tenant,
                                 other_tenant: Tenant) -> None:
    foreign = make_vrf(session, other_tenant, "theirs")
    with pytest.raises(ValidationFailed, match="vrf_id"):
        make_prefix(session, tenant, "10.0.0.0/8", vrf=foreign)
    prefix = make_prefix(session, tenant, "10.0.0.0/8")
    updated = prefixes.update_prefix(session, tenant.id, prefix.id, schemas.PrefixUpdate(
        role=PrefixRole.INFRASTRUCTURE, description="core"))
    assert (updated.role, updated.description, updated.network) == ("infrastructure", "core",
                                                                    "10.0.0.0/8")


def test_prefix_changes_are_audited(session: Session, tenant: Tenant) -> None:
    prefix = make_prefix(session, tenant, "203.0.113.0/24")
    entries = session.scalars(select(AuditLog).where(AuditLog.entity_id == str(prefix.id))).all()
    assert [(e.action, e.entity_type, e.after and e.after["network"]) for e in entries] == [
        ("create", "ipam_prefixes", "203.0.113.0/24")]
    assert session.get(Prefix, prefix.id) is not None
