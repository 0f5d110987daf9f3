"""Counters at every poll, interface status once per status window: what an operator sees stays
right (a counters-only poll leaves the last status alone, a change is noticed in time, a
restarted agent or a device not fully up has its status read at once)."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.devices.models import Device, Interface
from dotmac_isp.modules.network.devices.polling import service as polling
from dotmac_isp.modules.network.devices.polling.cadence import status_due, status_window
from dotmac_isp.modules.network.devices.polling.poller import PollResult, PollSpec, poll_many
from dotmac_isp.sdks.snmp import SnmpCredentials, SnmpTarget
from tests.modules.network.devices.factories import make_device
from tests.support.snmpd import IN_OCTETS_1, SnmpAgent

WINDOW = timedelta(minutes=15)
START = datetime(2026, 5, 4, 0, 0, tzinfo=UTC)


def _device(**state: object) -> Device:
    return Device(**{"id": uuid.uuid4(), "reachability": "up", **state})


def _window_start(device: Device, at: datetime) -> datetime:
    seconds = int(WINDOW.total_seconds())
    index = status_window(device, at, WINDOW)
    return datetime.fromtimestamp(index * seconds + device.id.int % seconds, UTC)


def test_status_is_read_once_per_window_over_a_day_of_polls() -> None:
    for device in (_device() for _ in range(20)):
        reads = []
        for n in range(288):  # every 5 minutes for a day
            now = START + timedelta(minutes=5 * n)
            if status_due(device, now, WINDOW):
                reads.append(now)
            device.last_polled_at = now
        # the first poll, then one in each 15-minute window the day covers
        assert 96 <= len(reads) <= 97
        gaps = [b - a for a, b in itertools.pairwise(reads)]
        assert max(gaps) <= WINDOW  # a status change shows within a window


def test_status_read_at_every_poll_when_not_up_or_never_polled() -> None:
    now = START + timedelta(hours=1)
    assert status_due(_device(), now, WINDOW)  # never polled
    up = _device()
    start = _window_start(up, now)
    up.last_polled_at = start + timedelta(seconds=1)
    assert not status_due(up, start + timedelta(seconds=60), WINDOW)  # same window
    assert status_due(up, start + WINDOW, WINDOW)  # the next one
    for state in ("degraded", "down", "unknown"):
        assert status_due(_device(reachability=state, last_polled_at=now), now, WINDOW)
    assert status_due(_device(last_polled_at=now), now, timedelta(0))  # setting 0: always


def _poll(agent: SnmpAgent, **spec: object) -> PollResult:
    target = SnmpTarget(agent.host, agent.port, SnmpCredentials(community=agent.community),
                        timeout=3, retries=1)
    return asyncio.run(poll_many([PollSpec(uuid.uuid4(), target, **spec)]))[0]  # type: ignore[arg-type]


def test_counters_only_poll_and_a_restarted_agent(snmp_agent: SnmpAgent) -> None:
    snmp_agent.set_counter(IN_OCTETS_1, 77_000)
    fast = _poll(snmp_agent, read_status=False, uptime_seconds=0)
    assert fast.reachable and not fast.status_read
    lo = next(i for i in fast.interfaces if i.if_index == 1)
    assert lo.in_octets == 77_000 and lo.oper_status is None and not lo.status_read
    # sysUpTime lower than at the last poll: the agent restarted, status is read at once
    restarted = _poll(snmp_agent, read_status=False, uptime_seconds=10**9)
    assert restarted.status_read
    assert next(i for i in restarted.interfaces if i.if_index == 1).oper_status == 1


def test_recorded_status_stands_until_the_next_status_read(
        session: Session, settings: Settings, tenant: Tenant, snmp_agent: SnmpAgent) -> None:
    device = make_device(session, settings, tenant, snmp_port=snmp_agent.port,
                         snmp_timeout_ms=3000)
    polling.poll_now(session, settings, tenant.id, device.id)  # discovery reads status
    lo = session.scalars(select(Interface).where(Interface.device_id == device.id,
                                                 Interface.if_index == 1)).one()
    assert lo.oper_status == "up" and device.reachability == "up"
    # The next poll falls in the same status window: counters only.
    start = _window_start(device, device.last_polled_at)  # type: ignore[arg-type]
    device.last_polled_at = start + timedelta(seconds=1)
    now = start + timedelta(seconds=60)
    spec = polling.poll_spec(settings, device, now, timedelta(hours=1), WINDOW, 1)
    assert not spec.read_status and not spec.discover and spec.interface_count == 1
    # Pretend the last status read saw lo down: a counters-only poll must not undo that.
    lo.oper_status = "down"
    changed_at = lo.last_change_at
    snmp_agent.set_counter(IN_OCTETS_1, 99_000)
    (result,) = asyncio.run(poll_many([spec]))
    polling.record_poll(session, device, result)
    assert lo.oper_status == "down" and lo.last_change_at == changed_at
    assert lo.last_in_octets == 99_000
    # The next status read sees it up again, and when.
    status = polling.poll_spec(settings, device, now, timedelta(hours=1), timedelta(0), 1)
    (result,) = asyncio.run(poll_many([status]))
    polling.record_poll(session, device, result)
    assert lo.oper_status == "up" and lo.last_change_at == result.polled_at
