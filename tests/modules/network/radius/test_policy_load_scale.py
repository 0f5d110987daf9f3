"""The full policy load at scale: addresses come from IPAM in bulk (the statement count does
not grow with the subscribers), and a slow load is never started again by the polls that
happen while it runs."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.ipam.enums import PoolKind
from dotmac_isp.modules.network.radius import cache as cache_module
from dotmac_isp.modules.network.radius import changes, store
from dotmac_isp.modules.network.radius.cache import PolicyCache
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.modules.services.models import Plan
from dotmac_isp.shared.db import Database
from tests.conftest import RollbackDatabase
from tests.modules.network.ipam.factories import make_pool
from tests.modules.network.radius.support import seed_isp
from tests.support.customers import make_plan, make_subscription
from tests.support.querycount import count_statements


def _addressed_plan(session: Session, tenant: Tenant) -> Plan:
    v4 = make_pool(session, tenant, "100.70.0.0/24", name="scale-v4")
    pd = make_pool(session, tenant, "2001:db8:7000::/48", name="scale-pd",
                   kind=PoolKind.DELEGATION, delegated_length=56)
    return make_plan(session, tenant, ipv4_pool_id=str(v4.id), ipv6_pd_pool_id=str(pd.id))


def _subscribe(session: Session, settings: Settings, tenant: Tenant, plan: Plan,
               count: int) -> None:
    for _ in range(count):
        make_subscription(session, settings, tenant, plan=plan,
                          status=SubscriptionStatus.ACTIVE)
    session.flush()


def _load(db: RollbackDatabase, settings: Settings, engine: Engine) -> tuple[int, list[Any]]:
    cache = PolicyCache(db, settings)  # type: ignore[arg-type]
    with count_statements(engine) as counted:
        update = cache.load_all()
    return counted.count, update.profiles


def test_full_load_sends_as_many_statements_for_100_subscribers_as_for_10(
        db: RollbackDatabase, session: Session, engine: Engine, settings: Settings,
        tenant: Tenant) -> None:
    plan = _addressed_plan(session, tenant)
    _subscribe(session, settings, tenant, plan, 10)
    # this tenant's: other tests may have left committed subscribers in the database
    at_10, profiles = _load(db, settings, engine)
    profiles = [p for p in profiles if p.tenant_id == tenant.id]
    assert len(profiles) == 10
    _subscribe(session, settings, tenant, plan, 90)
    at_100, profiles = _load(db, settings, engine)
    profiles = [p for p in profiles if p.tenant_id == tenant.id]
    assert len(profiles) == 100
    assert at_100 == at_10
    # every subscriber got its own address and delegated prefix from the plan's pools
    assert len({p.ipv4 for p in profiles}) == 100
    assert all(p.ipv4 and p.ipv4.startswith("100.70.0.") for p in profiles)
    assert len({p.ipv6_prefix for p in profiles}) == 100
    assert all(p.ipv6_prefix and p.ipv6_prefix.startswith("2001:db8:70")
               and p.ipv6_prefix.endswith("/56") for p in profiles)


def test_a_partial_load_gives_the_same_addresses_as_the_full_one(
        db: RollbackDatabase, session: Session, engine: Engine, settings: Settings,
        tenant: Tenant) -> None:
    plan = _addressed_plan(session, tenant)
    _subscribe(session, settings, tenant, plan, 3)
    _count, everyone = _load(db, settings, engine)
    secret = settings.secret_key.get_secret_value()
    for profile in everyone:
        one = store.load_profiles(session, secret, profile_day(),
                                  subscription_ids=[profile.subscription_id])
        assert [(p.ipv4, p.ipv6_prefix) for p in one] == [(profile.ipv4, profile.ipv6_prefix)]


def profile_day() -> Any:
    from dotmac_isp.shared.types import utcnow

    return utcnow().date()


def test_polls_during_a_slow_full_load_neither_start_another_nor_miss_a_change(
        radius_db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    # a poll window of a second stands for the minute a real server looks back: the load
    # below takes longer than that, as a 100,000-subscriber load would take longer than a
    # minute before the bulk address lookup
    monkeypatch.setattr(cache_module, "LOOKBACK", timedelta(seconds=1))
    isp = seed_isp(radius_db, settings, statuses={"alice": SubscriptionStatus.ACTIVE})
    cache = PolicyCache(radius_db, settings)
    cache.load_all()
    real = store.load_profiles
    full_loads: list[float] = []
    loading = threading.Event()

    def slow(session: Session, secret: str, today: Any, *,
             subscription_ids: Iterable[Any] | None = None,
             plan_ids: Iterable[Any] | None = None) -> Any:
        if subscription_ids is None and plan_ids is None:
            full_loads.append(time.monotonic())
            loading.set()
            time.sleep(1.5)
        return real(session, secret, today, subscription_ids=subscription_ids,
                    plan_ids=plan_ids)

    monkeypatch.setattr(store, "load_profiles", slow)
    loader = threading.Thread(target=cache.load_all)
    loader.start()
    assert loading.wait(5)
    with radius_db.unit_of_work() as session:  # a change made while the load runs
        changes.subscription_changed(session, isp.tenant.id, isp.subs["alice"].id)
    polled: list[Any] = []

    def poll() -> None:
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            polled.append(cache.load_changes())
            time.sleep(0.05)

    pollers = [threading.Thread(target=poll) for _ in range(4)]
    for t in pollers:
        t.start()
    for t in (*pollers, loader):
        t.join(10)
    assert len(full_loads) == 1
    assert polled and all(result is None for result in polled)
    # the first poll after the load sees the change made during it, without a full load
    after = cache.load_changes()
    assert len(full_loads) == 1
    assert after is not None and not after.full
    assert [p.subscription_id for p in after.profiles] == [isp.subs["alice"].id]
