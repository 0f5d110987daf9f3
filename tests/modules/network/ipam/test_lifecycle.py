"""Addresses follow the subscription lifecycle events, and held ones are released by the job
once the configured hold has passed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import IPAMSettings, Settings
from dotmac_isp.jobs import registry
from dotmac_isp.jobs.models import JobFailure
from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.ipam import service
from dotmac_isp.modules.network.ipam.enums import AllocationStatus, PoolKind
from dotmac_isp.modules.network.ipam.errors import IPAMError, PoolExhaustedError
from dotmac_isp.modules.network.ipam.models import Allocation, AssignmentHistory, Pool
from dotmac_isp.modules.services.events import (
    SubscriptionActivated,
    SubscriptionPlanChanged,
    SubscriptionRestored,
    SubscriptionSuspended,
    SubscriptionTerminated,
)
from dotmac_isp.shared.events import DomainEvent, handlers_for
from tests.conftest import RollbackDatabase
from tests.modules.network.ipam.factories import make_pool, take

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
IPAM_HANDLERS = "dotmac_isp.modules.network.ipam.handlers"


def publish(session: Session, event: DomainEvent) -> None:
    """Deliver the event to IPAM's handlers only: these tests replay lifecycle events
    (twice, out of order) to prove the handlers are idempotent, which the other modules'
    handlers, driven by real transitions elsewhere, need not survive."""
    for klass in type(event).__mro__:
        if issubclass(klass, DomainEvent):
            for handler in handlers_for(klass):
                if handler.__module__ == IPAM_HANDLERS:
                    handler(session, event)


class Subscriber:
    """One subscription and the events its lifecycle publishes."""

    def __init__(self, session: Session, tenant: Tenant, v4: Pool | None, pd: Pool | None):
        self.session, self.tenant = session, tenant
        self.id, self.customer_id, self.plan_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        self.v4, self.pd = v4, pd

    def _fields(self, at: datetime) -> dict[str, Any]:
        return dict(tenant_id=self.tenant.id, occurred_at=at, subscription_id=self.id,
                    customer_id=self.customer_id, plan_id=self.plan_id,
                    ipv4_pool_id=self.v4.id if self.v4 else None,
                    ipv6_pd_pool_id=self.pd.id if self.pd else None)

    def activate(self, at: datetime = T0) -> None:
        publish(self.session, SubscriptionActivated(**self._fields(at)))

    def suspend(self, at: datetime = T0) -> None:
        publish(self.session, SubscriptionSuspended(**self._fields(at), reason="unpaid"))

    def restore(self, at: datetime = T0) -> None:
        publish(self.session, SubscriptionRestored(**self._fields(at)))

    def change_plan(self, v4: Pool | None, pd: Pool | None, at: datetime = T0) -> None:
        old = self._fields(at)
        self.v4, self.pd, old_plan, self.plan_id = v4, pd, self.plan_id, uuid.uuid4()
        publish(self.session, SubscriptionPlanChanged(
            **self._fields(at), old_plan_id=old_plan, old_ipv4_pool_id=old["ipv4_pool_id"],
            old_ipv6_pd_pool_id=old["ipv6_pd_pool_id"]))

    def terminate(self, at: datetime = T0) -> None:
        publish(self.session, SubscriptionTerminated(**self._fields(at), reason="moved away"))

    def addresses(self) -> service.SubscriptionAddresses:
        return service.subscription_addresses(self.session, self.tenant.id, self.id)

    def statuses(self) -> list[tuple[str, str]]:
        return [(a.cidr, a.status) for a in self.addresses().allocations]


@pytest.fixture
def v4(session: Session, tenant: Tenant) -> Pool:
    return make_pool(session, tenant, "100.64.0.0/24", name="residential", gateway="100.64.0.1")


@pytest.fixture
def pd(session: Session, tenant: Tenant) -> Pool:
    return make_pool(session, tenant, "2001:db8:1000::/48", name="residential-pd",
                     kind=PoolKind.DELEGATION, delegated_length=56)


def test_activation_allocates_both_and_is_idempotent(session: Session, tenant: Tenant,
                                                     v4: Pool, pd: Pool) -> None:
    sub = Subscriber(session, tenant, v4, pd)
    sub.activate()
    found = sub.addresses()
    assert (found.ipv4_address, found.ipv6_delegated_prefix) == ("100.64.0.2",
                                                                 "2001:db8:1000::/56")
    sub.activate()
    sub.restore()
    assert sub.addresses() == found
    assert (v4.allocated_count, pd.allocated_count) == (2, 1)  # gateway + the subscriber


def test_an_address_reserved_for_the_subscription_is_the_one_it_gets(
        session: Session, tenant: Tenant, v4: Pool) -> None:
    sub = Subscriber(session, tenant, v4, None)
    take(session, v4, "100.64.0.200", holder_id=sub.id, status=AllocationStatus.RESERVED)
    sub.activate()
    assert sub.statuses() == [("100.64.0.200/32", "allocated")]
    assert sub.addresses().ipv4_address == "100.64.0.200"


def test_suspension_keeps_the_address(session: Session, tenant: Tenant, v4: Pool,
                                      pd: Pool) -> None:
    sub = Subscriber(session, tenant, v4, pd)
    sub.activate()
    before = sub.statuses()
    sub.suspend()
    assert sub.statuses() == before
    sub.restore()
    assert sub.statuses() == before


def test_plan_change_moves_only_when_the_pool_changes(session: Session, tenant: Tenant,
                                                      v4: Pool, pd: Pool) -> None:
    business = make_pool(session, tenant, "198.51.100.0/24", name="business")
    sub = Subscriber(session, tenant, v4, pd)
    sub.activate()
    sub.change_plan(v4, pd)  # faster plan, same pools
    assert sub.statuses() == [("100.64.0.2/32", "allocated"), ("2001:db8:1000::/56",
                                                                "allocated")]
    sub.change_plan(business, pd, at=T0 + timedelta(hours=1))
    assert sub.addresses().ipv4_address == "198.51.100.1"
    assert sub.addresses().ipv6_delegated_prefix == "2001:db8:1000::/56"
    # the old address is held (a live session may still use it), not handed to someone else
    assert ("100.64.0.2/32", "held") in sub.statuses()
    other = Subscriber(session, tenant, v4, None)
    other.activate()
    assert other.addresses().ipv4_address == "100.64.0.3"
    sub.change_plan(business, None, at=T0 + timedelta(hours=2))  # plan without IPv6
    assert sub.addresses().ipv6_delegated_prefix is None


def test_termination_holds_then_the_job_releases_after_the_hold(
        session: Session, tenant: Tenant, v4: Pool, pd: Pool, db: RollbackDatabase,
        settings: Settings) -> None:
    sub = Subscriber(session, tenant, v4, pd)
    sub.activate()
    sub.terminate(at=T0 + timedelta(days=30))
    assert [s for _, s in sub.statuses()] == ["held", "held"]
    assert (sub.addresses().ipv4_address, sub.addresses().ipv6_delegated_prefix) == (None, None)
    session.flush()

    hold = settings.model_copy(update={"ipam": IPAMSettings(release_hold_hours=48)})
    end = T0 + timedelta(days=30)

    def run(at: datetime) -> str:
        summary = registry.run("network.release_held_addresses", JobContext(db, hold, at))  # type: ignore[arg-type]
        session.expire_all()
        return summary

    assert run(end + timedelta(hours=47)) == "released 0 held allocation(s) in 0 pool(s)"
    assert len(sub.statuses()) == 2
    assert run(end + timedelta(hours=48)) == "released 2 held allocation(s) in 2 pool(s)"
    assert sub.statuses() == []
    assert run(end + timedelta(hours=49)) == "released 0 held allocation(s) in 0 pool(s)"
    assert session.get(Pool, v4.id).allocated_count == 1  # type: ignore[union-attr]
    periods = session.scalars(select(AssignmentHistory).where(
        AssignmentHistory.holder_id == sub.id).order_by(AssignmentHistory.family)).all()
    assert [(p.address, p.assigned_at, p.released_at) for p in periods] == [
        ("100.64.0.2", T0, end + timedelta(hours=48)),
        ("2001:db8:1000::", T0, end + timedelta(hours=48))]
    # the freed address goes to the next subscriber
    Subscriber(session, tenant, v4, None).activate()
    assert session.scalars(select(Allocation.address).where(
        Allocation.pool_id == v4.id, Allocation.holder_id.is_not(None))).all() == ["100.64.0.2"]


def test_reactivation_within_the_hold_gets_the_same_address_back(
        session: Session, tenant: Tenant, v4: Pool, pd: Pool) -> None:
    sub = Subscriber(session, tenant, v4, pd)
    sub.activate()
    before = sub.addresses()
    sub.terminate()
    sub.activate(at=T0 + timedelta(hours=2))
    after = sub.addresses()
    assert (after.ipv4_address, after.ipv6_delegated_prefix) == (before.ipv4_address,
                                                                 before.ipv6_delegated_prefix)
    assert all(a.held_since is None for a in after.allocations)


def test_activation_fails_clearly_when_the_pool_cannot_serve(session: Session,
                                                             tenant: Tenant, pd: Pool) -> None:
    tiny = make_pool(session, tenant, "192.0.2.8/32", name="tiny")
    Subscriber(session, tenant, tiny, None).activate()
    with pytest.raises(PoolExhaustedError, match="'tiny'"):
        Subscriber(session, tenant, tiny, None).activate()
    with pytest.raises(IPAMError, match="not an IPv4 address pool"):
        Subscriber(session, tenant, pd, None).activate()
    ghost = Pool(id=uuid.uuid4())
    with pytest.raises(IPAMError, match=r"ipv4 pool .* does not exist"):
        Subscriber(session, tenant, ghost, None).activate()


def test_a_zero_hold_releases_at_the_next_run(session: Session, tenant: Tenant, v4: Pool,
                                              db: RollbackDatabase,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOTMAC_IPAM__RELEASE_HOLD_HOURS", "0")
    configured = Settings(_env_file=None)  # type: ignore[call-arg]
    assert configured.ipam.release_hold_hours == 0
    sub = Subscriber(session, tenant, v4, None)
    sub.activate()
    sub.terminate(at=T0 + timedelta(days=1))
    session.flush()
    summary = registry.run("network.release_held_addresses",
                           JobContext(db, configured, T0 + timedelta(days=1)))  # type: ignore[arg-type]
    session.expire_all()
    assert summary == "released 1 held allocation(s) in 1 pool(s)"
    assert sub.statuses() == []


def test_a_pool_that_fails_to_release_is_recorded_and_the_others_go_on(
        session: Session, tenant: Tenant, v4: Pool, pd: Pool, db: RollbackDatabase,
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    sub = Subscriber(session, tenant, v4, pd)
    sub.activate()
    sub.terminate(at=T0 + timedelta(days=1))
    session.flush()
    real = service.release_expired_holds

    def broken_v4(s: Session, tenant_id: uuid.UUID, pool_id: uuid.UUID, *args: Any) -> int:
        if pool_id == v4.id:
            raise RuntimeError("pool row is corrupt")
        return real(s, tenant_id, pool_id, *args)

    monkeypatch.setattr(service, "release_expired_holds", broken_v4)
    summary = registry.run("network.release_held_addresses",
                           JobContext(db, settings, T0 + timedelta(days=30)))  # type: ignore[arg-type]
    session.expire_all()
    assert summary == "released 1 held allocation(s) in 2 pool(s); 1 pool(s) failed"
    assert sub.statuses() == [("100.64.0.2/32", "held")]  # the IPv4 hold stays; the /56 went
    [failure] = session.scalars(select(JobFailure).where(JobFailure.tenant_id == tenant.id))
    assert failure.job == "network.release_held_addresses"
    assert failure.error == f"pool {v4.id}: RuntimeError: pool row is corrupt"
