"""A device's polls keep to its interval: the next poll is counted from the time the device
was due, not from the poll, which starts a few seconds late whenever the poll job comes
round (counting from the poll pushed every device's schedule later by that lateness each
time: a device polled every 30 s came round every 35). A device due more than an interval
ago starts again from its poll."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.devices.models import Device
from dotmac_isp.modules.network.devices.polling import recording, service
from dotmac_isp.modules.network.devices.polling.poller import PollResult
from dotmac_isp.shared.types import utcnow
from tests.modules.network.devices.factories import make_device

INTERVAL = timedelta(seconds=30)
LEASE = timedelta(seconds=300)


def _poll(session: Session, device: Device, slot: datetime | None, at: datetime) -> None:
    service.record_polls(session, [(device, PollResult(device.id, reachable=False,
                                                       polled_at=at, error="timeout",
                                                       due_at=slot))])


def _claim(session: Session, device: Device, now: datetime) -> list[datetime | None]:
    return [slot for claimed, slot in service.claim_slots(session, now, 1000, LEASE)
            if claimed.id == device.id]


def test_late_polls_keep_the_device_on_its_schedule(session: Session, settings: Settings,
                                                    tenant: Tenant) -> None:
    device = make_device(session, settings, tenant, "olt-1", poll_interval_seconds=30)
    start = utcnow()
    assert _claim(session, device, start) == [None]  # never polled: due at once
    _poll(session, device, None, start + timedelta(seconds=2))
    first_slot = start + timedelta(seconds=32)
    assert device.next_poll_at == first_slot
    # the poll job comes round 8 s after the device was due, and the poll takes a second
    assert _claim(session, device, first_slot + timedelta(seconds=8)) == [first_slot]
    _poll(session, device, first_slot, first_slot + timedelta(seconds=9))
    assert device.next_poll_at == first_slot + INTERVAL  # not 9 s later
    assert _claim(session, device, first_slot + INTERVAL - timedelta(seconds=1)) == []
    assert _claim(session, device, first_slot + INTERVAL) == [first_slot + INTERVAL]


def test_a_device_due_longer_ago_than_its_interval_starts_again_from_its_poll() -> None:
    due, device_id = utcnow(), uuid.uuid4()
    late = PollResult(device_id, reachable=True, polled_at=due + timedelta(seconds=45),
                      due_at=due)
    assert recording.next_poll_at(late, INTERVAL) == late.polled_at + INTERVAL
    on_time = PollResult(device_id, reachable=True, polled_at=due + timedelta(seconds=3),
                         due_at=due)
    assert recording.next_poll_at(on_time, INTERVAL) == due + INTERVAL
    unscheduled = PollResult(device_id, reachable=True, polled_at=due)  # a "poll now"
    assert recording.next_poll_at(unscheduled, INTERVAL) == due + INTERVAL
