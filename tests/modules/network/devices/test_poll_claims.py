"""Pollers claim their due devices: two pollers at the same moment take disjoint sets that
together are every due device; a polled device is not due again before its interval, and one
whose poller died is due again when the lease runs out. Recording a batch of polls costs the
same number of statements for 10 devices as for 100. Committed data and real threads on both
databases for the claims."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.alerts import rules
from dotmac_isp.modules.network.alerts.schemas import AlertRuleCreate
from dotmac_isp.modules.network.devices.models import Device, Interface
from dotmac_isp.modules.network.devices.polling import service
from dotmac_isp.modules.network.devices.polling.models import DeviceSample, InterfaceSample
from dotmac_isp.modules.network.devices.polling.poller import InterfaceReading, PollResult
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.types import utcnow
from tests.modules.network.devices.factories import make_device
from tests.support.factories import make_tenant
from tests.support.parallel import at_once
from tests.support.querycount import count_statements

DEVICES = 40
INTERVAL = timedelta(seconds=60)
LEASE = timedelta(seconds=300)


@dataclass
class Fleet:
    database: Database
    tenant_id: uuid.UUID
    device_ids: set[uuid.UUID]


@pytest.fixture
def fleet(engine: Engine, settings: Settings) -> Iterator[Fleet]:
    database = Database(engine)
    with database.unit_of_work() as session:
        tenant = make_tenant(session, f"poll-{uuid.uuid4().hex[:8]}")
        ids = {make_device(session, settings, tenant, f"olt-{n}",
                           poll_interval_seconds=int(INTERVAL.total_seconds())).id
               for n in range(DEVICES)}
        made = Fleet(database, tenant.id, ids)
    yield made
    with database.unit_of_work() as session:
        session.execute(delete(DeviceSample).where(DeviceSample.tenant_id == made.tenant_id))
        session.execute(delete(Device).where(Device.tenant_id == made.tenant_id))
        session.execute(delete(Tenant).where(Tenant.id == made.tenant_id))


def _claim(fleet: Fleet, now: datetime, limit: int = 1000) -> set[uuid.UUID]:
    with fleet.database.unit_of_work() as session:
        return {d.id for d in service.claim_due(session, now, limit, LEASE)} & fleet.device_ids


def test_two_pollers_at_once_claim_disjoint_sets_covering_every_due_device(
        fleet: Fleet) -> None:
    now = utcnow()
    first, second = at_once(2, lambda _n: _claim(fleet, now, limit=DEVICES * 3 // 4))
    assert first and second and not first & second
    assert first | second == fleet.device_ids
    assert _claim(fleet, now + timedelta(seconds=1)) == set()  # all taken


def test_a_polled_device_is_due_after_its_interval_and_a_lost_one_after_the_lease(
        fleet: Fleet) -> None:
    now = utcnow()
    claimed = _claim(fleet, now)
    assert claimed == fleet.device_ids
    polled = set(sorted(claimed)[:10])
    with fleet.database.unit_of_work() as session:
        devices = session.scalars(select(Device).where(Device.id.in_(polled))).all()
        service.record_polls(session, [(d, PollResult(d.id, reachable=False, polled_at=now,
                                                      error="timeout")) for d in devices])
    # the rest stand for a poller that died after claiming them
    assert _claim(fleet, now + INTERVAL - timedelta(seconds=1)) == set()
    assert _claim(fleet, now + INTERVAL) == polled
    assert _claim(fleet, now + LEASE - timedelta(seconds=1)) == set()
    assert _claim(fleet, now + LEASE) == fleet.device_ids - polled


PORTS = 5


def _results(devices: list[Device], at: datetime, step: int) -> list[PollResult]:
    return [PollResult(d.id, reachable=True, polled_at=at, response_ms=2.0,
                       sys_uptime_ticks=(1000 + step) * 100, cpu_pct=10.0, memory_pct=20.0,
                       interfaces=[InterfaceReading(i, admin_status=1, oper_status=1,
                                                    in_octets=step * 1_000_000 * i,
                                                    out_octets=step * 500_000 * i)
                                   for i in range(1, PORTS + 1)])
            for d in devices]


def _record_count(session: Session, engine: Engine, settings: Settings, tenant: Tenant,
                  count: int) -> int:
    devices = [make_device(session, settings, tenant, f"sw-{count}-{n}") for n in range(count)]
    for device in devices:
        session.add_all(Interface(tenant_id=tenant.id, device_id=device.id, if_index=i,
                                  name=f"ge-{i}", speed_mbps=1000) for i in range(1, PORTS + 1))
    session.flush()
    start = utcnow()
    service.record_polls(session, list(zip(devices, _results(devices, start, 1), strict=True)))
    later = start + timedelta(seconds=300)
    with count_statements(engine) as counted:
        states = service.record_polls(session, list(zip(devices, _results(devices, later, 2),
                                                        strict=True)))
    assert {s.value for s in states} == {"up"}
    rates = session.scalars(select(Interface.in_bps).where(
        Interface.device_id == devices[0].id, Interface.if_index == 2)).one()
    assert rates == pytest.approx(2 * 1_000_000 * 8 / 300)
    samples = session.scalar(select(func.count()).select_from(InterfaceSample).where(
        InterfaceSample.interface_id.in_(select(Interface.id).where(
            Interface.device_id.in_([d.id for d in devices])))))
    assert samples == count * PORTS
    return counted.count


def test_recording_a_batch_costs_the_same_statements_for_10_and_100_devices(
        session: Session, engine: Engine, settings: Settings, tenant: Tenant) -> None:
    rules.create_rule(session, tenant.id, AlertRuleCreate(
        name="busy ports", metric="interface_utilization_pct", threshold=90))  # type: ignore[arg-type]
    small = _record_count(session, engine, settings, tenant, 10)
    large = _record_count(session, engine, settings, tenant, 100)
    assert small == large
