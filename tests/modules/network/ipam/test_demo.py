"""The demo address plan seeds once and is a valid plan."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.ipam import demo, pools, prefixes
from dotmac_isp.shared.pagination import PageParams


def test_demo_plan_seeds_once(session: Session, tenant: Tenant) -> None:
    assert demo.seed(session, tenant.id) == ["10 prefixes", "7 IP pools"]
    assert demo.seed(session, tenant.id) == []
    tree = prefixes.prefix_tree(session, tenant.id, PageParams(limit=100)).items
    assert [n.prefix.network for n in tree if n.prefix.depth == 0] == [
        "10.255.0.0/16", "100.64.0.0/10", "198.51.100.0/24", "2001:db8::/32"]
    kinds = {p.name: p.kind for p in pools.list_pools(session, tenant.id, PageParams()).items}
    assert kinds["Residential IPv6 PD"] == "delegation"
    assert not [n for n in tree if n.utilization.above_threshold]
