"""IPv6 sizes read as people say them (2^80 addresses in a /48), never as 3.09e+26."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.web.numbers import readable_count
from tests.modules.network.ipam.factories import make_pool, make_prefix, take
from tests.modules.network.ipam.test_web import _sign_in
from tests.support.factories import StaffUser


def test_readable_counts() -> None:
    assert readable_count(254) == "254"
    assert readable_count(16_777_214) == "16,777,214"
    assert readable_count(2**80) == "2^80"
    assert readable_count(2**64 - 2) == "2^64 - 2"
    assert readable_count(2**96 + 5) == "2^96 + 5"
    assert readable_count(3 * 2**80) == "2^81 + 2^80"
    assert readable_count(2**80 + 2**64 + 7) == "2^80 + 2^64 + 7"
    assert readable_count(2**80 + 2**70 + 2**60 + 2**50) == "≈ 1.00 x 2^80"
    assert "e+" not in readable_count(309_485_009_821_345_068_724_781_056)


def test_ipv6_prefix_and_pool_sizes_are_powers_of_two(client: TestClient, session: Session,
                                                      tenant: Tenant, admin: StaffUser) -> None:
    make_prefix(session, tenant, "2001:db8::/32")
    make_prefix(session, tenant, "2001:db8:aa::/48")
    pool = make_pool(session, tenant, "2001:db8:bb::/64", name="v6-hosts")
    take(session, pool)
    session.flush()
    _sign_in(client, admin)
    tree = client.get("/admin/ipam")
    assert tree.status_code == 200
    sizes = re.findall(r'<td class="muted">([^<]*)</td>', tree.text)
    # the /32 holds a /48 and a /64: both count as used
    assert "2^80 + 2^64 / 2^96" in sizes and "0 / 2^80" in sizes
    assert not re.search(r"\de[+]\d", tree.text)
    page = client.get(f"/admin/ipam/pools/{pool.id}")
    counts = re.search(r'data-testid="pool-counts">([^<]*)<', page.text)
    assert counts is not None and counts.group(1).startswith("1 of 2^64 - 1 addresses")
    assert not re.search(r"\de[+]\d", page.text)
