"""Allocation under real concurrency: parallel transactions on committed pools.

Each allocator is a thread with its own connection and unit of work. On PostgreSQL 50 of them
race for one pool; on SQLite (one writer at a time) a smaller set queues on the database lock.
The rows they commit are deleted afterwards by deleting their tenant.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import create_engine, delete, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.ipam import allocation, free_space, utilization
from dotmac_isp.modules.network.ipam.addressing import encode_slot
from dotmac_isp.modules.network.ipam.enums import HolderType
from dotmac_isp.modules.network.ipam.errors import PoolExhaustedError
from dotmac_isp.modules.network.ipam.models import Allocation, AssignmentHistory, Pool
from dotmac_isp.shared.db import Database, make_engine
from tests.modules.network.ipam.factories import make_pool, take
from tests.support.factories import make_tenant

pytestmark = pytest.mark.slow
DEADLINE_SECONDS = 120


@dataclass
class Committed:
    database: Database
    tenant_id: uuid.UUID
    pools: dict[str, uuid.UUID]


@pytest.fixture
def committed(engine: Engine, backend: str) -> Iterator[Committed]:
    """Pools committed for real (outside the per-test rollback), removed afterwards."""
    url = engine.url.render_as_string(hide_password=False)
    own = (create_engine(url, pool_size=55, max_overflow=0, pool_timeout=DEADLINE_SECONDS)
           if backend == "postgresql" else make_engine(url))
    database = Database(own)
    with database.unit_of_work() as session:
        tenant = make_tenant(session, f"race-{uuid.uuid4().hex[:8]}")
        made = {
            "a": make_pool(session, tenant, "10.99.0.0/24", name="a", gateway="10.99.0.1").id,
            "b": make_pool(session, tenant, "10.98.0.0/24", name="b").id,
            "small": make_pool(session, tenant, "10.97.0.0/27", name="small").id,  # 30 usable
        }
        tenant_id = tenant.id
    try:
        yield Committed(database, tenant_id, made)
    finally:
        with database.unit_of_work() as session:
            session.execute(delete(Tenant).where(Tenant.id == tenant_id))  # cascades
        own.dispose()


def _race(committed: Committed, pool: str, workers: int) -> list[Any]:
    """Start `workers` allocators together; each returns its address or its exception."""
    start = threading.Barrier(workers, timeout=DEADLINE_SECONDS)
    pool_id = committed.pools[pool]

    def allocate_one(_: int) -> Any:
        start.wait()
        try:
            with committed.database.unit_of_work() as session:
                got = allocation.allocate(session, committed.tenant_id, pool_id,
                                          holder_type=HolderType.SUBSCRIPTION,
                                          holder_id=uuid.uuid4())
                return got.address
        except Exception as exc:  # reported to the test, which expects none but exhaustion
            return exc

    with ThreadPoolExecutor(max_workers=workers) as executor:
        futures = [executor.submit(allocate_one, i) for i in range(workers)]
        return [f.result(timeout=DEADLINE_SECONDS) for f in futures]


def _committed_state(committed: Committed, pool: str) -> tuple[list[str], int, int]:
    """(addresses, the pool's counter, open history rows); checks the free ranges too."""
    pool_id = committed.pools[pool]
    with committed.database.unit_of_work(write=False) as session:
        addresses = list(session.scalars(select(Allocation.address)
                                         .where(Allocation.pool_id == pool_id)))
        row = session.get(Pool, pool_id)
        assert row is not None
        counter = row.allocated_count
        layout = utilization.layout_of(row)
        slots = set(session.scalars(select(Allocation.slot).where(Allocation.pool_id == pool_id)))
        free = {s for span in free_space.spans(session, row)
                for s in range(span.start, span.end + 1)}
        usable = {encode_slot(i) for i in range(layout.first_index, layout.last_index + 1)}
        assert free == usable - slots
        open_history = session.scalar(select(func.count()).select_from(AssignmentHistory).where(
            AssignmentHistory.pool_id == pool_id, AssignmentHistory.released_at.is_(None))) or 0
    return addresses, counter, open_history


def _workers(backend: str) -> int:
    return 50 if backend == "postgresql" else 10


def test_parallel_allocators_never_share_an_address(committed: Committed,
                                                    backend: str) -> None:
    workers = _workers(backend)
    results = _race(committed, "a", workers)
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    assert len(set(results)) == workers  # zero duplicates
    # serialized on the pool row, each took the lowest free address after the gateway
    assert sorted(results, key=lambda a: int(a.split(".")[-1])) == [
        f"10.99.0.{i}" for i in range(2, 2 + workers)]
    addresses, counter, open_history = _committed_state(committed, "a")
    assert sorted(addresses) == sorted([*results, "10.99.0.1"])  # every one accounted for
    assert counter == open_history == workers + 1


def test_parallel_allocators_exhaust_a_pool_exactly(committed: Committed,
                                                    backend: str) -> None:
    results = _race(committed, "small", 50 if backend == "postgresql" else 35)
    won = [r for r in results if isinstance(r, str)]
    lost = [r for r in results if not isinstance(r, str)]
    assert len(won) == len(set(won)) == 30
    assert all(isinstance(e, PoolExhaustedError) for e in lost) and len(lost) == len(results) - 30
    addresses, counter, _ = _committed_state(committed, "small")
    assert sorted(addresses) == sorted(won) and counter == 30


def test_a_locked_pool_does_not_block_another_pool(committed: Committed, backend: str) -> None:
    """The lock is the pool's row, not a table: while one transaction holds pool a, pool b
    still allocates, and pool a waits."""
    if backend != "postgresql":
        pytest.skip("SQLite has one writer at a time by design")
    database = committed.database
    holder = database.factory()
    try:
        take(holder, _pool(holder, committed, "a"))  # pool a's row stays locked until rollback

        def allocate_with_timeout(pool: str) -> Callable[[], str]:
            def run() -> str:
                with database.unit_of_work() as session:
                    session.execute(text("SET LOCAL lock_timeout = '2s'"))
                    return take(session, _pool(session, committed, pool)).address
            return run

        with ThreadPoolExecutor(max_workers=1) as executor:
            other = executor.submit(allocate_with_timeout("b")).result(timeout=30)
            assert other == "10.98.0.1"
            with pytest.raises(OperationalError, match="lock timeout"):
                executor.submit(allocate_with_timeout("a")).result(timeout=30)
    finally:
        holder.rollback()
        holder.close()


def _pool(session: Any, committed: Committed, name: str) -> Pool:
    pool = session.get(Pool, committed.pools[name])
    assert pool is not None
    return pool
