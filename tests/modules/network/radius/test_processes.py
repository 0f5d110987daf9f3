"""`dotmac-isp radius serve --processes 2`: two worker processes on one port and one
PostgreSQL database. A suspension made through the API reaches every worker within a second
over Redis, and one made through the subscription service without Redis at the next poll of
the change log."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from dotmac_isp.config import Settings
from dotmac_isp.main import create_app
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.radius import signals
from dotmac_isp.modules.services import service as subscriptions
from dotmac_isp.modules.services.schemas import ServiceStatusUpdate
from dotmac_isp.shared.db import Database
from tests.modules.network.radius.redis_server import RedisServer, redis_server
from tests.modules.network.radius.support import S, seed_isp
from tests.modules.network.radius.workers import (
    ACCEPT,
    REJECT,
    radius_workers,
    until_every_worker_answered,
)
from tests.support.factories import make_user


@pytest.fixture
def pg_radius_db(radius_db: Database, radius_url: str) -> Database:
    if radius_url.startswith("sqlite"):
        pytest.skip("several processes writing one SQLite file is the single-machine case; "
                    "several RADIUS processes run on PostgreSQL")
    return radius_db


@pytest.fixture
def redis_srv() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


def _suspend(database: Database, isp_tenant: object, subscription_id: object) -> float:
    """Suspend through the service, as the API does; the moment it committed."""
    with database.unit_of_work() as session:
        subscriptions.request_status(session, isp_tenant, subscription_id,  # type: ignore[arg-type]
                                     ServiceStatusUpdate(status=S.SUSPENDED, reason="unpaid"))
    return time.monotonic()


def _suspend_through_the_api(database: Database, settings: Settings, tenant_id: object,
                             subscription_id: object) -> float:
    """POST /subscriptions/{id}/status as an operator would; the moment it answered."""
    with database.unit_of_work() as session:
        tenant = session.get(Tenant, tenant_id)
        assert tenant is not None
        admin = make_user(session, settings, tenant, "admin", email="noc@isp.example")
    with TestClient(create_app(settings, database, configure_logs=False)) as client:
        response = client.post(f"/api/v1/subscriptions/{subscription_id}/status",
                               json={"status": "suspended", "reason": "unpaid"},
                               headers=admin.headers)
    assert response.status_code == 200, response.text
    return time.monotonic()


def test_suspension_reaches_every_worker_within_a_second_over_redis(
        pg_radius_db: Database, radius_url: str, settings: Settings,
        redis_srv: RedisServer) -> None:
    isp = seed_isp(pg_radius_db, settings, statuses={"alice": S.ACTIVE})
    password = isp.passwords["alice"]
    # The regular poll is far away: only the Redis message can bring the change in time.
    with radius_workers(radius_url, settings.secret_key.get_secret_value(),
                        redis_url=redis_srv.url, refresh_seconds="60",
                        suspended_policy="reject") as workers:
        workers.wait_ready(redis=True)
        codes = until_every_worker_answered(workers, "alice", password, "accept")
        assert codes and set(codes) == {ACCEPT}

        signals.configure(redis_srv.url)  # what `serve` reads from DOTMAC_REDIS_URL
        try:
            committed = _suspend_through_the_api(pg_radius_db, settings, isp.tenant.id,
                                                 isp.subs["alice"].id)
        finally:
            signals.reset()
        time.sleep(max(0.0, committed + 1.0 - time.monotonic()))

        accepts = workers.counts("accept")
        codes = until_every_worker_answered(workers, "alice", password, "reject")
        assert set(codes) == {REJECT}
        assert workers.counts("accept") == accepts  # no worker accepted after the second


def test_without_redis_the_suspension_lands_at_the_next_poll(
        pg_radius_db: Database, radius_url: str, settings: Settings) -> None:
    isp = seed_isp(pg_radius_db, settings, statuses={"alice": S.ACTIVE})
    password = isp.passwords["alice"]
    with radius_workers(radius_url, settings.secret_key.get_secret_value(),
                        refresh_seconds="0.5", suspended_policy="reject") as workers:
        workers.wait_ready()
        codes = until_every_worker_answered(workers, "alice", password, "accept")
        assert set(codes) == {ACCEPT}

        signals.configure(None)  # no Redis anywhere
        try:
            committed = _suspend(pg_radius_db, isp.tenant.id, isp.subs["alice"].id)
        finally:
            signals.reset()
        # a poll every 0.5 s: give both workers a few periods (a loaded machine is slow)
        time.sleep(max(0.0, committed + 3.0 - time.monotonic()))

        accepts = workers.counts("accept")
        codes = until_every_worker_answered(workers, "alice", password, "reject")
        assert set(codes) == {REJECT}
        assert workers.counts("accept") == accepts
