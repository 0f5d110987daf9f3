"""IPAM benchmark (not a test): prints its figures and exits 0.

    .venv/bin/python bench/ipam.py [--backend sqlite|postgresql|both] [--lookups N]

Measured on SQLite (a temporary file) and PostgreSQL (127.0.0.1:5432, user postgres, a
database created and dropped here):
- next free address in a /16 that is 90% allocated (random holes, and filled contiguously):
  the lookup alone, and a whole allocation committed in its own unit of work;
- utilization of a /8 holding 1,000 child prefixes.
Each figure is also given as a ratio against references measured in the same run: a bare
SELECT 1 round trip, a one-row UPDATE + COMMIT, and the naive way (read every allocated
address, walk the pool with ipaddress until a free one turns up; read the children and sum
their sizes with ipaddress).
"""

from __future__ import annotations

import argparse
import ipaddress
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from dotmac_isp import db_migrate, wiring
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.network.ipam import allocation, free_space, utilization
from dotmac_isp.modules.network.ipam.addressing import (
    encode_slot,
    network_keys,
    parse_network,
)
from dotmac_isp.modules.network.ipam.enums import AllocationStatus, HolderType, PoolKind
from dotmac_isp.modules.network.ipam.models import Allocation, Pool, Prefix
from dotmac_isp.modules.network.ipam.repository import PoolRepository
from dotmac_isp.shared.db import Database

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
POOL_NETWORK = "10.0.0.0/16"
FILL = 0.90
CHILDREN = 1000
SEED = 20260101


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    """Milliseconds per call."""
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def fmt(samples: list[float]) -> str:
    return f"median {statistics.median(samples):.3f} ms, p99 {percentile(samples, 99):.3f} ms"


# Fixtures ----------------------------------------------------------------------------------

def make_pool_row(session: Session, tenant_id: uuid.UUID, network: str, name: str) -> Pool:
    net = parse_network(network)
    start, end = network_keys(net)
    prefix = Prefix(tenant_id=tenant_id, family=net.version, network=str(net),
                    prefix_length=net.prefixlen, start_key=start, end_key=end, depth=0,
                    role="subscriber_pool", status="active", alert_threshold_percent=95)
    session.add(prefix)
    session.flush()
    pool = Pool(tenant_id=tenant_id, name=name, prefix_id=prefix.id, family=net.version,
                network=str(net), kind=PoolKind.ADDRESS.value, fully_usable=False,
                alert_threshold_percent=95, allocated_count=0)
    session.add(pool)
    session.flush()
    return pool


def fill_pool(session: Session, pool: Pool, indexes: list[int]) -> None:
    """Bulk-insert allocations at the given indexes (what years of operation would leave)."""
    layout = utilization.layout_of(pool)
    now = datetime.now(UTC)
    rows = []
    for index in indexes:
        net = layout.slot_network(index)
        start, end = network_keys(net)
        rows.append(dict(id=uuid.uuid4(), tenant_id=pool.tenant_id, pool_id=pool.id, family=4,
                         address=str(net.network_address), prefix_length=32, start_key=start,
                         end_key=end, slot=encode_slot(index),
                         status=AllocationStatus.ALLOCATED.value,
                         holder_type=HolderType.SUBSCRIPTION.value, holder_id=uuid.uuid4(),
                         description="", assigned_at=now, held_since=None, created_at=now,
                         updated_at=now))
    for chunk in range(0, len(rows), 5000):
        session.execute(insert(Allocation), rows[chunk:chunk + 5000])
    pool.allocated_count = len(indexes)
    session.flush()
    free_space.rebuild(session, pool, layout)


def make_tree(session: Session, tenant_id: uuid.UUID) -> Prefix:
    top_net = parse_network("10.0.0.0/8")
    start, end = network_keys(top_net)
    top = Prefix(tenant_id=tenant_id, family=4, network=str(top_net), prefix_length=8,
                 start_key=start, end_key=end, depth=0, role="infrastructure",
                 status="active", alert_threshold_percent=90)
    session.add(top)
    session.flush()
    now = datetime.now(UTC)
    rows = []
    for i, child in enumerate(top_net.subnets(new_prefix=20)):
        if i == CHILDREN:
            break
        c_start, c_end = network_keys(child)
        rows.append(dict(id=uuid.uuid4(), tenant_id=tenant_id, vrf_id=None, parent_id=top.id,
                         family=4, network=str(child), prefix_length=20, start_key=c_start,
                         end_key=c_end, depth=1, role="subscriber_pool", status="active",
                         description="", alert_threshold_percent=90, created_at=now,
                         updated_at=now))
    session.execute(insert(Prefix), rows)
    return top


# Measurements ------------------------------------------------------------------------------

def naive_next_free(session: Session, pool: Pool) -> ipaddress.IPv4Address:
    """The reference: read every allocated address, walk the pool in Python."""
    taken = set(session.scalars(select(Allocation.address).where(Allocation.pool_id == pool.id)))
    for host in ipaddress.ip_network(pool.network).hosts():
        if str(host) not in taken:
            return host
    raise RuntimeError("full")


def run_backend(name: str, url: str, lookups: int, allocations: int) -> None:
    print(f"\n== {name} ==")
    db_migrate.upgrade(url)
    database = Database.from_url(url)
    rng = random.Random(SEED)
    try:
        with database.unit_of_work() as session:
            tenant = identity_service.create_tenant(session, name="Bench ISP",
                                                    slug=f"bench-{uuid.uuid4().hex[:8]}")
            tenant_id = tenant.id
            random_pool = make_pool_row(session, tenant_id, POOL_NETWORK, "random-90")
            layout = utilization.layout_of(random_pool)
            filled = int(layout.capacity * FILL)
            indexes = rng.sample(range(layout.first_index, layout.last_index + 1), filled)
            fill_pool(session, random_pool, indexes)
            contiguous = make_pool_row(session, tenant_id, "10.1.0.0/16", "contiguous-90")
            fill_pool(session, contiguous, list(range(1, 1 + filled)))
            top = make_tree(session, tenant_id)
            ids = random_pool.id, contiguous.id, top.id
        random_id, contiguous_id, top_id = ids
        print(f"pool {POOL_NETWORK}: {filled:,} of {layout.capacity:,} usable addresses "
              f"allocated ({filled / layout.capacity:.0%}), random holes")

        with database.unit_of_work(write=False) as session:
            session.execute(text("SELECT 1"))
            select_one = timed(lambda: session.execute(text("SELECT 1")).scalar(), lookups)
            pool = session.get(Pool, random_id)
            assert pool is not None
            lookup = timed(lambda: allocation.next_free_slot(session, pool, layout), lookups)
            naive = timed(lambda: naive_next_free(session, pool), max(5, lookups // 100))
            solid = session.get(Pool, contiguous_id)
            assert solid is not None
            solid_lookup = timed(lambda: allocation.next_free_slot(session, solid, layout),
                                 lookups)
        base, scan = statistics.median(select_one), statistics.median(naive)
        print(f"reference SELECT 1 round trip: {fmt(select_one)}")
        print(f"reference naive scan (read all, walk with ipaddress): {fmt(naive)}")
        print(f"next free lookup, {lookups} times: {fmt(lookup)}  "
              f"[{statistics.median(lookup) / base:.1f}x SELECT 1, "
              f"{statistics.median(lookup) / scan:.4f}x naive scan; goal < 5 ms]")
        print(f"next free lookup, the same pool filled contiguously from the bottom: "
              f"{fmt(solid_lookup)}  [{statistics.median(solid_lookup) / base:.1f}x SELECT 1]")

        def allocate_one() -> None:
            with database.unit_of_work() as session:
                allocation.allocate(session, tenant_id, random_id,
                                    holder_type=HolderType.SUBSCRIPTION, holder_id=uuid.uuid4())

        def commit_only() -> None:
            with database.unit_of_work() as session:
                session.execute(update(Pool).where(Pool.id == contiguous_id)
                                .values(description=""))

        commits = timed(commit_only, allocations)
        committed = timed(allocate_one, allocations)
        print(f"reference one-row UPDATE + COMMIT: {fmt(commits)}")
        print(f"allocate next free + commit (lock, find, insert, history, audit), "
              f"{allocations} times: {fmt(committed)}  [{statistics.median(committed) / base:.1f}"
              f"x SELECT 1, {statistics.median(committed) / statistics.median(commits):.1f}x a "
              f"one-row UPDATE + COMMIT]")

        with database.unit_of_work(write=False) as session:
            top_prefix = session.get(Prefix, top_id)
            assert top_prefix is not None
            usage = utilization.prefix_utilization(session, tenant_id, top_prefix)
            util = timed(lambda: utilization.prefix_utilization(session, tenant_id,
                                                                top_prefix), 200)
            children = [ipaddress.ip_network(n) for n in session.scalars(
                select(Prefix.network).where(Prefix.parent_id == top_id))]
            py_sum = timed(lambda: sum(c.num_addresses for c in children), 200)
            naive_util = timed(lambda: sum(ipaddress.ip_network(n).num_addresses for n in
                                           session.scalars(select(Prefix.network).where(
                                               Prefix.parent_id == top_id))), 20)
        print(f"utilization of 10.0.0.0/8 with {CHILDREN:,} child prefixes "
              f"({usage.percent}% used), 200 times: {fmt(util)}  "
              f"[{statistics.median(util) / base:.1f}x SELECT 1, "
              f"{statistics.median(util) / statistics.median(naive_util):.3f}x reading the "
              f"children and summing with ipaddress ({statistics.median(naive_util):.3f} ms); "
              f"the in-memory sum alone takes {statistics.median(py_sum):.3f} ms]")
        with database.unit_of_work(write=False) as session:
            check = PoolRepository(session, tenant_id).get(random_id)
            assert check.allocated_count == filled + allocations
    finally:
        database.dispose()


@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="dotmac-bench-") as workdir:
        yield f"sqlite:///{Path(workdir) / 'bench.db'}"


@contextmanager
def postgres_url() -> Iterator[str | None]:
    name = f"dotmac_bench_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        print(f"\n== postgresql == skipped: {exc}".splitlines()[0])
        yield None
        return
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--lookups", type=int, default=1000)
    parser.add_argument("--allocations", type=int, default=500)
    args = parser.parse_args()
    wiring.install()  # audit and event handlers, as in the application
    print(f"IPAM bench: python {sys.version.split()[0]}, lookups={args.lookups}, "
          f"allocations={args.allocations}")
    if args.backend in ("sqlite", "both"):
        with sqlite_url() as url:
            run_backend("sqlite", url, args.lookups, args.allocations)
    if args.backend in ("postgresql", "both"):
        with postgres_url() as pg:
            if pg is not None:
                run_backend("postgresql", pg, args.lookups, args.allocations)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
